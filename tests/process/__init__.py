"""Issue 3 at the level of whole hub processes: real ``omnihub run`` processes on RabbitMQ
sharing one SQLite file, with a test plugin journaling every handler call."""
