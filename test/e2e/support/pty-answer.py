"""Runs a command in a real pseudo-terminal, types ANSWER and Enter once PROMPT appears, and prints
everything the terminal showed. Exits with the command's code. Usage: pty-answer.py PROMPT ANSWER CMD..."""
import os
import pty
import select
import sys

prompt, answer, command = sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)
shown = b''
typed = False
while True:
    ready, _, _ = select.select([fd], [], [], 30)
    if not ready:
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:  # the command closed the terminal
        break
    if not chunk:
        break
    shown += chunk
    if not typed and prompt in shown:
        os.write(fd, answer + b'\r')
        typed = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(shown)
sys.exit(os.waitstatus_to_exitcode(status))
