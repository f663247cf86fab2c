from cutover_proxy.cli import main

raise SystemExit(main())
