from cutover_sandbox.cli import main

raise SystemExit(main())
