"""The container test reuses the compatibility suite's helpers (boto3 client, HTTP, the fake
game server driver)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compat" / "python"))
