"""The web edge: blueprints by audience; thin views that call one service and commit."""
