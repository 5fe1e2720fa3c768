"""Messages to the running window of a database: ``gravy-desktop fill`` asks it to show
Quick Fill (a local socket on Unix, a named pipe on Windows, through QtNetwork).

The name is derived from the database's path, so each database's window has its own; the
window holds the database's instance lock, so a socket left behind by a crash can be
removed safely when the window starts.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

FILL = b"fill\n"


def server_name(database_path: Path) -> str:
    resolved = str(database_path.expanduser().resolve())
    digest = hashlib.sha256(resolved.encode()).hexdigest()[:16]
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    return f"gravy-desktop-{user}-{digest}"


class MessageServer(QObject):
    """Listens for messages to this window; ``fill_requested`` when asked for Quick Fill."""

    fill_requested = Signal()

    def __init__(self, database_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.name = server_name(database_path)
        self.server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        if self.server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)  # left by a crash: we hold the instance lock
        return self.server.listen(self.name)

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        if socket.canReadLine() and bytes(socket.readLine().data()) == FILL:
            self.fill_requested.emit()


def ask_running_window(database_path: Path, message: bytes = FILL, timeout_ms: int = 2000) -> bool:
    """Send ``message`` to the window running on ``database_path``; False if none runs."""
    app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841 (kept alive)
    socket = QLocalSocket()
    socket.connectToServer(server_name(database_path))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(message)
    sent = socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(timeout_ms)
    return sent
