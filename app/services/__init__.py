"""Application services: plain functions over a SQLAlchemy Session, no Qt, no threads.

The Workspace (app/workspace.py) opens a session per call and hands these functions to the CLI and
the UI; tests call them directly on a store session.
"""
