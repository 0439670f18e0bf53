"""The demo data is internally consistent (departments exist, same region, form rules...)."""

import subprocess
import sys
from pathlib import Path

CHECKER = Path(__file__).resolve().parent.parent / "app" / "seed" / "data" / "check_data.py"


def test_demo_data_cross_references_hold():
    result = subprocess.run([sys.executable, str(CHECKER)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK")
