class DumpError(Exception):
    """Bad input: names the file, the line and what is wrong. Never shown as a traceback."""

    def __init__(self, path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")
