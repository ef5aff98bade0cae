// Item response theory (see precipice/irt.hpp).
