"""Entry point: `.venv/bin/python bench/run.py [--quick] [--rounds N] [--only W,...]`.

See bench/README.md for what is measured and what each column means.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script (`python bench/run.py`), the repository root is not on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import main
from bench.options import parse_args

if __name__ == "__main__":
    sys.exit(main(parse_args(sys.argv[1:]), sys.argv[1:]))
