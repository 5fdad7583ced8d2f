import sys

from clinicdesk.launcher import main

sys.exit(main())
