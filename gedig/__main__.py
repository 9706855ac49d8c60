"""python -m gedig"""

from .cli import main

raise SystemExit(main())
