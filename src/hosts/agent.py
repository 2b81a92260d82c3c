# vfbench's agent: one per host and run, started once over one SSH exec channel (its source arrives on
# stdin, as Mitogen and Ansible pipelining deliver theirs, so nothing is installed on the host). It runs
# vfbench's requests without a login shell each, concurrently, with framed answers:
#   request  (vfbench -> agent): one JSON line {"id": n, "op": "...", ...}
#   answer   (agent -> vfbench): one JSON line {"id": n, "ok": true, "result": ...} or {"id": n, "ok": false,
#            "error": "..."}; a line with "bytes": k is followed by k raw bytes (files streamed in chunks).
# Why an agent and not a shell per command: a login shell costs what the user's ~/.bashrc costs (pyenv,
# conda: 0.1-3 s on real VMs), and a harness that spawns processes while the tool measures is a noisy
# neighbour. Here waits block on the child (SIGCHLD), the sampler is a timer of this process reading /proc,
# starts at an instant are timed on the host, and every job has a lifetime bound (coreutils timeout, and
# the parent-death signal if this agent dies). If the connection drops, the agent keeps its jobs and waits
# `grace` seconds for vfbench to attach again through the unix socket in its private folder.
# Python 3.6+ and its standard library only; single-threaded (asyncio), so fork in Popen is safe.
import asyncio
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib

PROTOCOL = 1
STOPPED_EARLY = 'stopped before its start'
CHUNK = 1 << 20
OUT_HIGH = 4 << 20
EXEC_OUTPUT_MAX = 64 << 20
NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._:-]{0,200}$')
IFNAME = re.compile(r'^[A-Za-z0-9_.:-]{1,15}$')
COUNTERS = ('rx_packets', 'tx_packets', 'rx_bytes', 'tx_bytes')
# Signals the agent handles through asyncio (its self-pipe).
HANDLED = {signal.SIGCHLD, signal.SIGTERM}

try:
    import ctypes

    _LIBC = ctypes.CDLL(None, use_errno=True)

    def parent_death_signal():
        _LIBC.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
except Exception:  # a Python without ctypes: the timeout wrapper still bounds every job

    def parent_death_signal():
        pass


class OpError(Exception):
    pass


def running(pid):
    """Is the process there and not a zombie? An agent that exited stays a zombie until its parent (init,
    or a container's PID 1 that reaps slowly) collects it, but it runs nothing and holds nothing."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(b')') + 2:stat.rindex(b')') + 3] != b'Z'


def read_bytes(path):
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        parts = []
        while True:
            b = os.read(fd, 65536)
            if not b:
                return b''.join(parts)
            parts.append(b)
    finally:
        os.close(fd)


def read_ready(fd, n):
    """What a non-blocking fd has: bytes, b'' at its end (or on an error), None when nothing yet."""
    try:
        return os.read(fd, n)
    except BlockingIOError:
        return None
    except OSError:
        return b''


def need(req, key, kind):
    v = req.get(key)
    if not isinstance(v, kind) or isinstance(v, bool):
        raise OpError('%s: `%s` missing or of the wrong type' % (req.get('op'), key))
    return v


def job_name(req, key='job'):
    n = need(req, key, str)
    if not NAME.match(n):
        raise OpError('bad job name %r' % n)
    return n


def decode_status(status):
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None


def listening(protocol, port):
    """Inodes of the sockets listening on the port in this network namespace (read from /proc)."""
    suffix = (':%04X' % port).encode()
    names = ('tcp', 'tcp6') if protocol == 'tcp' else ('udp', 'udp6')
    inodes = set()
    for name in names:
        try:
            data = read_bytes('/proc/net/' + name)
        except OSError:
            continue
        for line in data.split(b'\n')[1:]:
            f = line.split()
            if len(f) > 9 and f[1].endswith(suffix) and (protocol == 'udp' or f[3] == b'0A'):
                inodes.add('socket:[%s]' % f[9].decode())
    return inodes


def group_holds(pgid, sockets):
    """Does a process of group `pgid` hold one of these sockets? (A stale server on the port does not count.)"""
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            if os.getpgid(int(p)) != pgid:
                continue
            for fd in os.listdir('/proc/%s/fd' % p):
                if os.readlink('/proc/%s/fd/%s' % (p, fd)) in sockets:
                    return True
        except OSError:
            continue
    return False


class Session(object):
    """One client: the stdio of the channel that started the agent, or a socket attached later."""

    def __init__(self, agent, rfd, wfd, sock=None):
        self.agent, self.rfd, self.wfd, self.sock = agent, rfd, wfd, sock
        self.inbuf = b''
        self.out = bytearray()
        self.writing = False
        self.closed = False
        self.drained = []
        os.set_blocking(rfd, False)
        os.set_blocking(wfd, False)
        agent.loop.add_reader(rfd, self.readable)

    def readable(self):
        data = read_ready(self.rfd, 65536)
        if data is None:
            return
        if not data:
            self.close()
            return
        self.inbuf += data
        while b'\n' in self.inbuf:
            line, self.inbuf = self.inbuf.split(b'\n', 1)
            if line.strip():
                self.agent.dispatch(self, line)

    def send(self, header, payload=b''):
        if self.closed:
            return
        if payload:
            header['bytes'] = len(payload)
        self.out += json.dumps(header, separators=(',', ':')).encode() + b'\n'
        self.out += payload
        self.flush()

    def flush(self):
        while self.out and not self.closed:
            try:
                n = os.write(self.wfd, self.out)
            except BlockingIOError:
                break
            except OSError:
                self.close()
                return
            del self.out[:n]
        want = bool(self.out) and not self.closed
        if want and not self.writing:
            self.agent.loop.add_writer(self.wfd, self.flush)
        elif not want and self.writing:
            self.agent.loop.remove_writer(self.wfd)
        self.writing = want
        if len(self.out) < OUT_HIGH or self.closed:
            for f in self.drained:
                if not f.done():
                    f.set_result(None)
            self.drained = []

    async def drain(self):
        while len(self.out) >= OUT_HIGH and not self.closed:
            f = self.agent.loop.create_future()
            self.drained.append(f)
            await f
        if self.closed:
            raise OpError('the connection closed')

    def close(self):
        if self.closed:
            return
        self.closed = True
        loop = self.agent.loop
        loop.remove_reader(self.rfd)
        if self.writing:
            loop.remove_writer(self.wfd)
        if self.sock is not None:
            self.sock.close()
        else:
            # Keep fds 0 and 1 taken (by /dev/null), so that no later file or socket gets them.
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, self.rfd)
            os.dup2(null, self.wfd)
            os.close(null)
        for f in self.drained:
            if not f.done():
                f.set_result(None)
        self.agent.session_closed(self)


class Job(object):
    def __init__(self, name, pid, paths, loop):
        self.name, self.pid, self.paths = name, pid, paths
        self.start = self.end = self.rc = self.signal = self.exec_error = None
        self.execed = loop.create_future()
        self.done = loop.create_future()

    @property
    def running(self):
        return not self.done.done()

    def exited(self, status, when):
        self.rc, self.signal = decode_status(status)
        self.end = when
        try:
            with open(self.paths['times'], 'a') as f:
                f.write('%.6f\n' % when)
        except OSError:
            pass
        self.done.set_result(None)

    def info(self):
        d = {'job': self.name, 'pid': self.pid, 'running': self.running, 'start': self.start, 'end': self.end, 'rc': self.rc}
        if self.signal is not None:
            d['signal'] = self.signal
        d.update(self.paths)
        return d


class Sampler(object):
    """CPU by mode, interrupts, context switches and /proc/net/dev every `interval`, as text lines."""

    def __init__(self, agent, interval, count):
        stat = read_bytes('/proc/stat').decode()
        ncpu = len(re.findall(r'^cpu\d', stat, re.M))
        try:
            boot = read_bytes('/proc/sys/kernel/random/boot_id').decode().strip()
        except OSError:
            boot = ''
        self.parts = ['ncpu %d\nboot %s\n' % (ncpu, boot)]
        self.task = asyncio.ensure_future(self.run(agent.loop, interval, count))

    async def run(self, loop, interval, count):
        tick = loop.time()
        for _ in range(count):
            self.sample()
            # The next tick on the grid; ticks missed during a stall are skipped, not caught up in a burst.
            tick += interval
            while tick <= loop.time():
                tick += interval
            await asyncio.sleep(tick - loop.time())

    def sample(self):
        now = time.time()
        lines = ['@ %.9f' % now]
        for line in read_bytes('/proc/stat').decode().split('\n'):
            if line.startswith('cpu '):
                lines.append(line)
            elif line.startswith('intr ') or line.startswith('ctxt '):
                lines.append(' '.join(line.split(' ', 2)[:2]))
        lines.append(read_bytes('/proc/net/dev').decode().rstrip('\n'))
        self.parts.append('\n'.join(lines) + '\n')

    def stop(self):
        self.task.cancel()
        return ''.join(self.parts)


class Agent(object):
    def __init__(self, loop):
        self.loop = loop
        self.dir = None
        self.listener = None
        self.session = None
        self.jobs = {}
        self.children = {}
        self.samplers = {}
        self.stopped = {}
        self.grace = 120.0
        self.orphaned_at = None
        self.stopping = False

    # ----- sessions -----------------------------------------------------------------------------
    def dispatch(self, session, line):
        recv = time.time()  # when it arrived: vfbench learns how long its requests take to get here
        try:
            req = json.loads(line.decode())
            rid = req['id']
        except (ValueError, KeyError, TypeError):
            session.send({'id': None, 'ok': False, 'error': 'bad request line'})
            return
        asyncio.ensure_future(self.serve(session, rid, req, recv))

    async def serve(self, session, rid, req, recv):
        try:
            result = await self.run_op(req, session, rid)
            session.send({'id': rid, 'ok': True, 'result': result, 'recv': recv})
        except OpError as e:
            session.send({'id': rid, 'ok': False, 'error': str(e), 'recv': recv})
        except Exception as e:  # a bug or an OS error: answer it, never die of it
            session.send({'id': rid, 'ok': False, 'error': '%s: %s' % (type(e).__name__, e), 'recv': recv})

    def session_closed(self, session):
        if session is self.session:
            self.session = None
            self.orphaned_at = time.time()
            self.loop.call_later(1.0, self.orphan_check)

    def accept(self):
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        old = self.session
        self.session = Session(self, conn.fileno(), conn.fileno(), sock=conn)
        if old is not None:
            old.close()
        self.orphaned_at = None

    def orphan_check(self):
        """Without a client: keep the jobs to their deadlines, then wait `grace` for an attach, then go."""
        if self.session is not None or self.stopping:
            return
        ends = [j.end for j in self.jobs.values() if j.end is not None]
        if any(j.running for j in self.jobs.values()):
            self.loop.call_later(1.0, self.orphan_check)
        elif time.time() - max([self.orphaned_at] + ends) > self.grace:
            asyncio.ensure_future(self.shutdown())
        else:
            self.loop.call_later(1.0, self.orphan_check)

    async def shutdown(self, keep=False):
        """Stop the samplers and jobs, remove the folder (unless `keep`), and end the agent."""
        if self.stopping:
            return
        self.stopping = True
        await self.clean(keep)
        self.loop.call_later(0.1, self.loop.stop)

    async def clean(self, keep):
        for s in self.samplers.values():
            s.stop()
        self.samplers = {}
        running = [j for j in self.jobs.values() if j.running]
        if running:
            await self.stop_jobs(running, 2.0)
        if self.dir and not keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.unlock()

    # ----- the host lock ---------------------------------------------------------------------------
    @staticmethod
    def lock_path():
        # One lock per network namespace: a VM, or one of the lab's guests sharing this machine's /tmp.
        return '/tmp/vfbench-host.%d.lock' % os.stat('/proc/self/ns/net').st_ino

    @staticmethod
    def create_lock(path, entry):
        """The lock file appears whole or not at all (written aside, then linked): nobody reads it half-written."""
        tmp = '%s.%d.tmp' % (path, os.getpid())
        with open(tmp, 'w') as f:
            json.dump(entry, f)
        os.chmod(tmp, 0o644)
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)

    def unlock(self):
        mine = getattr(self, 'locked', None)
        if not mine:
            return
        try:
            with open(mine) as f:
                if json.load(f).get('pid') == os.getpid():
                    os.unlink(mine)
        except (OSError, ValueError):
            pass
        self.locked = None

    async def op_lock(self, req, session, rid):
        """Hold the host for a run (its path switches, its ports): refused while another live run holds it.
        Held by an earlier session of the same run (a killed vfbench's agent): shared until that agent is
        ended, then taken again by the caller."""
        run = need(req, 'run', str)
        path = self.lock_path()
        entry = {'run': run, 'pid': os.getpid(), 'started': time.time(), 'user': str(os.getuid())}
        for _ in range(3):
            if self.create_lock(path, entry):
                self.locked = path
                return {'locked': path}
            try:
                with open(path) as f:
                    held = json.load(f)
            except FileNotFoundError:
                continue
            except (OSError, ValueError):
                held = {}
            if held.get('run') == run:
                return {'locked': path, 'shared': held.get('pid') != os.getpid()}
            pid = held.get('pid')
            alive = isinstance(pid, int) and running(pid)
            if alive:
                raise OpError('in use by vfbench run %s (agent pid %d since %s): wait for it, or end it (vfbench restore on its run directory)'
                              % (held.get('run'), pid, time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(held.get('started', 0)))))
            try:
                os.unlink(path)  # stale: its agent is gone
            except FileNotFoundError:
                pass
        raise OpError('cannot take the host lock %s' % path)

    # ----- children -----------------------------------------------------------------------------
    def reap(self):
        for pid in list(self.children):
            try:
                wpid, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                wpid, status = pid, 0
            if wpid:
                self.children.pop(pid)(status, time.time())

    def spawn(self, argv, stdin, stdout, stderr, cwd):
        try:
            return subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd, close_fds=True, start_new_session=True)
        except OSError as e:
            raise OpError('cannot start %s: %s' % (argv[0], e.strerror or e))

    async def stop_jobs(self, jobs, grace):
        """SIGTERM to each job's process group, SIGKILL after `grace`; waits for the whole group."""
        killed = {}
        for j in jobs:
            killed[j.name] = False
            self.signal_group(j.pid, signal.SIGTERM)
        deadline = self.loop.time() + grace
        for j in jobs:
            if not await self.group_gone(j, deadline):
                killed[j.name] = True
                self.signal_group(j.pid, signal.SIGKILL)
                await self.group_gone(j, self.loop.time() + 5.0)
        return killed

    def group_alive(self, pgid):
        try:
            os.killpg(pgid, 0)
            return True
        except OSError:
            return False

    def signal_group(self, pid, sig):
        try:
            os.killpg(pid, sig)
        except OSError:
            pass

    async def group_gone(self, job, deadline):
        try:
            await asyncio.wait_for(asyncio.shield(job.done), max(0.0, deadline - self.loop.time()))
        except asyncio.TimeoutError:
            return False
        while self.loop.time() < deadline:  # members of the group may outlive its leader
            try:
                os.killpg(job.pid, 0)
            except OSError:
                return True
            await asyncio.sleep(0.01)
        return False

    # ----- operations ---------------------------------------------------------------------------
    async def run_op(self, req, session, rid):
        op = req.get('op')
        fn = getattr(self, 'op_' + str(op), None)
        if fn is None:
            raise OpError('unknown op %r' % op)
        if self.dir is None and op not in ('hello', 'time', 'exec'):
            raise OpError('hello first')
        return await fn(req, session, rid)

    async def op_hello(self, req, session, rid):
        if self.dir is None:
            run = need(req, 'run', str)
            session = str(req.get('session', 'x'))
            if not NAME.match(run) or not re.match(r'^[0-9a-z]{1,32}$', session):
                raise OpError('bad run id %r or session %r' % (run, session))
            # The session (which vfbench process) is in the name from the start: a cleanup by that
            # process, on hosts sharing /tmp, always tells its own folders from a dead session's.
            self.dir = tempfile.mkdtemp(prefix='vfbench.%s.%s.' % (run, session), dir=req.get('tmp') or '/tmp')
            log = os.open(os.path.join(self.dir, 'agent.log'), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.dup2(log, 2)
            os.close(log)
            self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.listener.bind(os.path.join(self.dir, 'agent.sock'))
            self.listener.listen(4)
            self.listener.setblocking(False)
            self.loop.add_reader(self.listener.fileno(), self.accept)
            with open(os.path.join(self.dir, 'agent.pid'), 'w') as f:
                f.write('%d\n' % os.getpid())
        if 'grace' in req:
            self.grace = float(req['grace'])
        return {
            'protocol': PROTOCOL,
            'pid': os.getpid(),
            'dir': self.dir,
            'python': sys.version.split()[0],
            'uid': os.getuid(),
            'time': time.time(),
            'jobs': [j.info() for j in self.jobs.values()],
        }

    async def op_time(self, req, session, rid):
        return {'time': time.time()}

    async def op_exec(self, req, session, rid):
        argv = req.get('argv') or ['/bin/sh', '-c', need(req, 'sh', str)]
        timeout = float(req.get('timeout', 60))
        data = base64.b64decode(req['stdin']) if req.get('stdin') else None
        p = self.spawn(argv, subprocess.PIPE if data is not None else subprocess.DEVNULL, subprocess.PIPE, subprocess.PIPE, self.dir or '/')
        exited = self.loop.create_future()
        self.children[p.pid] = lambda status, when: exited.set_result(status)
        outs = {'stdout': bytearray(), 'stderr': bytearray()}
        eofs = []
        for key, pipe in (('stdout', p.stdout), ('stderr', p.stderr)):
            eofs.append(self.collect(pipe, outs[key]))
        if data is not None:
            self.feed(p.stdin, data)
        timed_out = False
        try:
            status = await asyncio.wait_for(asyncio.shield(exited), timeout)
        except asyncio.TimeoutError:
            timed_out = True
            self.signal_group(p.pid, signal.SIGTERM)
            kill = self.loop.call_later(1.0, self.signal_group, p.pid, signal.SIGKILL)
            status = await exited
            if not self.group_alive(p.pid):
                kill.cancel()
        # A daemon started by the command may hold the pipes open: read what came, within a second.
        try:
            await asyncio.wait_for(asyncio.gather(*eofs), 1.0)
        except asyncio.TimeoutError:
            pass
        for pipe in (p.stdout, p.stderr):
            self.loop.remove_reader(pipe.fileno())
            pipe.close()
        rc, sig = decode_status(status)
        p.returncode = rc if rc is not None else -sig
        return {
            'code': None if timed_out else rc,
            'signal': sig,
            'timedOut': timed_out,
            'stdout': bytes(outs['stdout']).decode('utf-8', 'replace'),
            'stderr': bytes(outs['stderr']).decode('utf-8', 'replace'),
        }

    def collect(self, pipe, buf):
        fd = pipe.fileno()
        os.set_blocking(fd, False)
        eof = self.loop.create_future()

        def readable():
            b = read_ready(fd, 65536)
            if b is None:
                return
            if not b:
                self.loop.remove_reader(fd)
                if not eof.done():
                    eof.set_result(None)
            elif len(buf) < EXEC_OUTPUT_MAX:
                buf.extend(b)

        self.loop.add_reader(fd, readable)
        return eof

    def feed(self, pipe, data):
        fd = pipe.fileno()
        os.set_blocking(fd, False)
        view = [memoryview(data)]

        def writable():
            try:
                n = os.write(fd, view[0])
                view[0] = view[0][n:]
            except BlockingIOError:
                return
            except OSError:
                view[0] = view[0][:0]
            if not len(view[0]):
                self.loop.remove_writer(fd)
                pipe.close()

        self.loop.add_writer(fd, writable)

    async def op_start(self, req, session, rid):
        """Start a job in its own session, under `timeout` (its lifetime bound), optionally at an instant."""
        name = job_name(req)
        old = self.jobs.get(name)
        if old is not None and old.running:
            raise OpError('job %s is already running' % name)
        argv = need(req, 'argv', list)
        if not argv or not all(isinstance(a, str) for a in argv):
            raise OpError('start: argv must be a list of strings')
        life = float(need(req, 'life', (int, float)))
        paths = {}
        for key in ('stdout', 'stderr', 'times'):
            paths[key] = req.get(key) or os.path.join(self.dir, '%s.%s' % (name, key))
        at = req.get('at')
        if at is None and req.get('delay') is not None:
            at = time.time() + float(req['delay'])
        requires = req.get('requires') or []
        # The child is forked now and sleeps until the instant on its own, so that the start costs only
        # an exec then: pairs started together on a loaded machine start within a few milliseconds.
        early = float(at) - time.time() if at is not None else None
        job = self.launch(name, ['timeout', '-k', '5', '%.3f' % life] + argv, paths, life, at)
        if at is not None:
            # Until just before the instant, or until the job is stopped meanwhile (Ctrl-C in a load's lead).
            await asyncio.wait([asyncio.ensure_future(asyncio.sleep(max(0.0, at - time.time() - 0.005))), job.done], return_when=asyncio.FIRST_COMPLETED)
        for r in requires:  # just before the instant (or now): the jobs it needs must still run
            j = self.jobs.get(r)
            if j is None or not j.running:
                self.signal_group(job.pid, signal.SIGKILL)
                await job.done
                del self.jobs[name]
                return {'started': False, 'why': '%s is not running' % r, 'required': j.info() if j else None}
        await job.execed
        if job.exec_error:
            await job.done
            if job.exec_error == STOPPED_EARLY:
                return {'started': False, 'why': 'stopped before its start'}
            raise OpError('cannot start %s: %s' % (argv[0], job.exec_error))
        result = {'started': True, 'pid': job.pid, 'start': job.start}
        result.update(paths)
        if at is not None:
            # Late at all (its stamp after the instant), and late because the request came too late.
            result['lateMs'] = max(0.0, (job.start - float(at)) * 1000)
            result['arrivedLateMs'] = max(0.0, -early * 1000)
        ready = req.get('ready')
        if ready:
            result['ready'] = await self.wait_ready(job, ready['protocol'], int(ready['port']), float(ready.get('timeout', 5)))
            if not result['ready']:
                result['job'] = job.info()
        return result

    def launch(self, name, argv, paths, life, at=None):
        """Fork the job's process; it sleeps until `at` (if given), stamps its start, then execs `argv`."""
        fds = [os.open(paths[k], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600) for k in ('stdout', 'stderr', 'times')]
        null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        errr, errw = os.pipe()
        agent_pid = os.getpid()
        # Signals wait until the child has reset its handlers: one sent to its group before that must
        # not run the agent's handlers (its self-pipe) in the child.
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
        pid = os.fork()
        if pid == 0:
            self.child(argv, fds, null, errw, agent_pid, at, old_mask)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        for fd in fds + [null, errw]:
            os.close(fd)
        job = Job(name, pid, paths, self.loop)
        self.jobs[name] = job
        self.children[pid] = job.exited
        self.watch_exec(job, errr)
        return job

    def child(self, argv, fds, null, errw, agent_pid, at, mask):
        """In the forked child: never returns (exec, or _exit with the reason on the error pipe)."""
        try:
            os.setsid()
            signal.set_wakeup_fd(-1)
            for sig in HANDLED | {signal.SIGHUP, signal.SIGPIPE}:
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            parent_death_signal()
            if os.getppid() != agent_pid:
                os._exit(111)
            os.dup2(null, 0)
            os.dup2(fds[0], 1)
            os.dup2(fds[1], 2)
            os.chdir(self.dir)
            if at is not None:
                rest = float(at) - time.time()
                if rest > 0:
                    time.sleep(rest)
            os.write(fds[2], ('%.6f\n' % time.time()).encode())
            os.set_inheritable(errw, False)
            os.execvp(argv[0], argv)
        except BaseException as e:
            try:
                os.write(errw, str(getattr(e, 'strerror', None) or e).encode()[:500])
            finally:
                os._exit(127)

    def watch_exec(self, job, fd):
        """The error pipe closes on exec (close-on-exec) or carries why the exec failed."""
        os.set_blocking(fd, False)
        got = bytearray()

        def readable():
            b = read_ready(fd, 512)
            if b is None:
                return
            if b:
                got.extend(b)
                return
            self.loop.remove_reader(fd)
            os.close(fd)
            job.exec_error = got.decode('utf-8', 'replace') or None
            try:
                job.start = float(read_bytes(job.paths['times']).split(b'\n')[0])
            except (OSError, ValueError):
                # No stamp: the child ended (was stopped) before it reached its exec.
                job.start = time.time()
                job.exec_error = job.exec_error or STOPPED_EARLY
            job.execed.set_result(None)

        self.loop.add_reader(fd, readable)

    async def wait_ready(self, job, protocol, port, timeout):
        """Until the job itself listens on the port (before any measurement: polling /proc is fine here)."""
        deadline = self.loop.time() + timeout
        while True:
            sockets = listening(protocol, port)
            if sockets and group_holds(job.pid, sockets):
                return True
            if not job.running or self.loop.time() > deadline:
                return False
            await asyncio.sleep(0.01)

    async def op_wait(self, req, session, rid):
        """Block until the job ends (woken by SIGCHLD; nothing polls), at most `timeout` seconds."""
        job = self.job(req)
        if job.running:
            try:
                await asyncio.wait_for(asyncio.shield(job.done), req.get('timeout'))
            except asyncio.TimeoutError:
                d = job.info()
                d['timedOut'] = True
                return d
        return job.info()

    async def op_stop(self, req, session, rid):
        jobs = [self.jobs[n] for n in need(req, 'jobs', list) if n in self.jobs]
        killed = await self.stop_jobs([j for j in jobs if j.running], float(req.get('grace', 2)))
        out = {}
        for j in jobs:
            out[j.name] = j.info()
            out[j.name]['killed'] = killed.get(j.name, False)
        return out

    def job(self, req):
        name = job_name(req)
        if name not in self.jobs:
            raise OpError('no job %s' % name)
        return self.jobs[name]

    async def op_sampler_start(self, req, session, rid):
        name = job_name(req, 'name')
        interval = float(need(req, 'interval', (int, float)))
        if not 0 < interval <= 60:
            raise OpError('sampling interval out of range: %s' % interval)
        if name in self.samplers:
            self.samplers.pop(name).stop()
        self.samplers[name] = Sampler(self, interval, max(2, int(req.get('count', 100000))))
        return {'started': True}

    async def op_sampler_stop(self, req, session, rid):
        """The samples; asked again (after a reconnect lost the answer), the same text."""
        name = job_name(req, 'name')
        s = self.samplers.pop(name, None)
        if s is not None:
            self.stopped[name] = s.stop()
            while len(self.stopped) > 8:
                self.stopped.pop(next(iter(self.stopped)))
        return {'text': self.stopped.get(name)}

    async def op_counters(self, req, session, rid):
        out = {}
        for name in need(req, 'interfaces', list):
            if not isinstance(name, str) or not IFNAME.match(name) or name in ('.', '..'):
                raise OpError('bad interface name %r' % name)
            d = '/sys/class/net/%s/statistics' % name
            try:
                out[name] = dict((k, int(read_bytes(d + '/' + k))) for k in COUNTERS)
            except OSError:
                pass
        return out

    async def op_fetch(self, req, session, rid):
        """Stream files in chunks ({"id", "file": index, "bytes": k} + bytes), gzip-compressed where asked (a
        slow link); size and SHA-256 of the content itself at the end."""
        gzip = req.get('gzip') or []
        files = []
        for index, path in enumerate(need(req, 'paths', list)):
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                files.append(None)
                continue
            h = hashlib.sha256()
            size = 0
            z = zlib.compressobj(1, zlib.DEFLATED, 31) if index < len(gzip) and gzip[index] else None
            try:  # its size first: a streaming reader can reserve its memory once
                session.send({'id': rid, 'file': index, 'size': os.fstat(fd).st_size})
            except OSError:
                pass
            try:
                while True:
                    data = os.read(fd, CHUNK)
                    if not data:
                        break
                    h.update(data)
                    size += len(data)
                    out = z.compress(data) if z else data
                    if out:
                        session.send({'id': rid, 'file': index}, out)
                    await session.drain()
                if z:
                    session.send({'id': rid, 'file': index}, z.flush())
            finally:
                os.close(fd)
            files.append({'size': size, 'sha256': h.hexdigest()})
        return {'files': files}

    async def op_rm(self, req, session, rid):
        """Remove files of this agent's folder (fetched and verified ones)."""
        root = os.path.realpath(self.dir) + os.sep
        removed = 0
        for path in need(req, 'paths', list):
            real = os.path.realpath(path)
            if not real.startswith(root):
                raise OpError('rm: %s is outside %s' % (path, self.dir))
            try:
                os.unlink(real)
                removed += 1
            except FileNotFoundError:
                pass
        return {'removed': removed}

    async def op_batch(self, req, session, rid):
        """Operations in order, in one round trip; stops at the first that fails."""
        results = []
        for sub in need(req, 'ops', list):
            try:
                results.append({'ok': True, 'result': await self.run_op(sub, session, rid)})
            except Exception as e:  # the operations before it keep their answers
                results.append({'ok': False, 'error': str(e) if isinstance(e, OpError) else '%s: %s' % (type(e).__name__, e)})
                break
        return results

    async def op_cleanup(self, req, session, rid):
        """Leftovers of an earlier session of this run (a killed vfbench): its agents, told to stop their
        jobs and go, then any process still writing into their folders, then the folders."""
        run = need(req, 'run', str)
        if not NAME.match(run):
            raise OpError('bad run id %r' % run)
        tmp = os.path.dirname(self.dir)
        found = []
        for entry in sorted(os.listdir(tmp)):
            d = os.path.join(tmp, entry)
            if not entry.startswith('vfbench.%s.' % run) or not os.path.isdir(d) or self.same_session(d, run, str(req.get('session'))):
                continue
            agent = await self.end_agent(d)
            found.append({'dir': d, 'agent': agent, 'killed': self.kill_writers(d)})
            shutil.rmtree(d, ignore_errors=True)
        return found

    def same_session(self, d, run, session):
        """A folder of the vfbench process asking (hosts may share /tmp: the lab's, containers)."""
        return os.path.realpath(d) == os.path.realpath(self.dir) or os.path.basename(d).startswith('vfbench.%s.%s.' % (run, session))

    async def end_agent(self, d):
        """SIGTERM the agent of folder `d` if it still runs (it stops its jobs), SIGKILL after 10 s."""
        try:
            pid = int(read_bytes(os.path.join(d, 'agent.pid')))
            if os.readlink('/proc/%d/fd/2' % pid) != os.path.join(d, 'agent.log'):
                return None  # not that agent (its PID was reused)
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            return pid  # it ended by itself meanwhile
        for _ in range(200):
            if not running(pid):
                return pid
            await asyncio.sleep(0.05)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        return pid

    def kill_writers(self, d):
        """Process groups whose stdout or stderr is a file in `d` (jobs whose agent is gone)."""
        killed = []
        own = os.getpgid(0)
        for p in os.listdir('/proc'):
            if not p.isdigit():
                continue
            for fd in ('1', '2'):
                try:
                    target = os.readlink('/proc/%s/fd/%s' % (p, fd))
                except OSError:
                    continue
                if target.startswith(d + '/'):
                    try:
                        pgid = os.getpgid(int(p))
                        if pgid not in (own, 0, 1):
                            os.killpg(pgid, signal.SIGKILL)
                            killed.append(int(p))
                    except OSError:
                        pass
                    break
        return killed

    async def op_bye(self, req, session, rid):
        """Everything stopped and removed before the answer, so that vfbench knows the host is clean."""
        self.stopping = True
        await self.clean(bool(req.get('keep')))
        self.loop.call_later(0.1, self.loop.stop)
        return {'bye': True}


def relay(path):
    """Attach mode, for sshd without stream-local forwarding: copy stdin to the agent's socket and back."""
    import select
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    fds = {0: sock.fileno(), sock.fileno(): 1}
    while fds:
        ready, _, _ = select.select(list(fds), [], [])
        for fd in ready:
            data = os.read(fd, 65536)
            if not data:
                return
            out = fds[fd]
            view = memoryview(data)
            while view:
                view = view[os.write(out, view):]


def main():
    if sys.argv[2:3] == ['attach']:
        relay(sys.argv[3])
        return
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        os.setsid()  # not in sshd's process group: its end must not signal us
    except OSError:
        pass
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    agent = Agent(loop)
    loop.add_signal_handler(signal.SIGCHLD, agent.reap)
    loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(agent.shutdown()))
    agent.session = Session(agent, 0, 1)
    loop.run_forever()


if __name__ == '__main__':
    main()
