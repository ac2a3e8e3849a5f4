"""``python -m autograder.kernel -f CONNECTION_FILE``: the grading kernel."""
import sys

# A grading kernel has no debugger: ipykernel then skips importing
# debugpy (a tenth of a second of every kernel start).
sys.modules.setdefault("debugpy", None)

from autograder.kernel.grading_kernel import main  # noqa: E402

main()
