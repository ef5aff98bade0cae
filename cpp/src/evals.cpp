// Item-level evaluation statistics (see precipice/evals.hpp).
