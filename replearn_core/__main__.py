from replearn_core.cli import main

raise SystemExit(main())
