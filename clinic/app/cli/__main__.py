"""`python -m clinic.app.cli worker`: how the containers start the worker."""

from clinic.app.cli import main

if __name__ == "__main__":
    main()
