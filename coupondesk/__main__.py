"""`python -m coupondesk` is the same as the `coupondesk` console script."""

from coupondesk.cli import main

main()
