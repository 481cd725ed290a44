import sys

from nnzoo.cli import main

sys.exit(main())
