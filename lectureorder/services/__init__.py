"""Use cases: load models, call the domain, change models, flush. Never commit, never touch
request/g/current_user: the caller (view, job, CLI command) owns the unit of work."""
