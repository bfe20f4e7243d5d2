"""Evaluate one orchestration from the command line and print the JSON result.

python -m twin_bridge.evaluate --config plan.json [--fidelity link|system] [--slots 20] [--seed 0]
python -m twin_bridge.evaluate --config '{"link": {...}, "scenario": {...}}'
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .service import evaluate_now, parse_plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="a JSON file, or the JSON itself")
    parser.add_argument("--fidelity", choices=["link", "system"], default="link")
    parser.add_argument("--slots", type=int, default=20, help="slots to simulate at link level")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    text = args.config if args.config.lstrip().startswith("{") else Path(args.config).read_text()
    try:
        plan = parse_plan(json.loads(text))
    except (ValueError, json.JSONDecodeError) as err:
        print(json.dumps({"error": str(err)}), file=sys.stderr)
        return 2
    print(evaluate_now(plan.model_dump_json(), args.fidelity, args.slots, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
