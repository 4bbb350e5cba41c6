"""`python -m devtools.stack …` (what `make run`, `make cluster`, `make shell`… call)."""

from devtools.stack.cli import main

if __name__ == "__main__":
    main()
