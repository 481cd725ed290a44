import sys

from nnzoo.cli import main

if __name__ == "__main__":  # `run all --jobs N` spawns workers, which import this module as __mp_main__
    sys.exit(main())
