from manila_ssm.cli import main

raise SystemExit(main())
