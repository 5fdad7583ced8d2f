"""ClinicDesk: offline-first desktop app for clinicians."""

__version__ = "0.1.0"
