"""What the server does, apart from HTTP: push, pull, accounts, audit."""
