"""Pure rules of the lecture-ordering domain: no Flask, no SQLAlchemy, `now` always passed in."""
