import sys
from pathlib import Path

# bench/compare.py holds the anchor calls shared by the script and these benchmarks.
sys.path.insert(0, str(Path(__file__).parent))
