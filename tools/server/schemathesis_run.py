"""Runs the schemathesis command line with Hypothesis's targeting turned off.

Schemathesis asks Hypothesis to steer fuzzing towards inputs the API accepts
(`hypothesis.target`). In hypothesis 6.170.17 the optimiser behind that can
fail inside itself (`IndexError` in `optimiser.hill_climb`, reproducible with
`--seed 151519116179263780761993218698235032399` on the demo ledger), which
schemathesis reports as a runtime error although every request passed its
checks. Generation, the checks and shrinking are unchanged; only the steering
is dropped.

    python schemathesis_run.py run URL/openapi.json [schemathesis options]
"""

import sys

import hypothesis


def _no_target(observation, *, label=""):
    return observation


hypothesis.target = _no_target

from schemathesis.cli import schemathesis  # noqa: E402  (after the patch)

if __name__ == "__main__":
    sys.argv[0] = "schemathesis"
    sys.exit(schemathesis())
