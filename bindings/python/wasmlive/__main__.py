"""``python -m wasmlive``: the wasmlive command line (render, diff, check,
inspect, bench, serve), with Python handlers for ``serve``."""

import sys


def main():
    from ._host import cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
