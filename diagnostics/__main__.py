"""``python -m diagnostics`` runs the bench CLI (``relife-bench``)."""

from diagnostics.cli import main

if __name__ == "__main__":
    main()
