// pass@k-family estimators (see precipice/passk.hpp).
