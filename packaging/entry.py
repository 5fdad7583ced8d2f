"""The frozen executable's script: the same ``clinicdesk`` command as in the virtual environment.

A separate file rather than ``clinicdesk/__main__.py`` because PyInstaller runs its script as
``__main__`` outside the package, and ``freeze_support`` must run before anything else when a
library (ctranslate2, onnxruntime) ever starts a worker process from the frozen binary.
"""

import multiprocessing
import sys

from clinicdesk.launcher import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
