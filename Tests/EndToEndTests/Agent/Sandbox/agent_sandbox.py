"""Runs Debian's waagent 2.7.3 extension handler in a sandbox against the fake WireServer (guest-agent.md s. 11).

    python3 agent_sandbox.py SANDBOX ADDRESS ENABLE_TIMEOUT_SECONDS

SANDBOX holds everything the agent writes (lib/, log/, tmp/, waagent.log, state/ for the fake); ADDRESS is a
loopback address (127.x.y.z) the fake serves on ports 80 and 32526 and the agent treats as WireServer and IMDS.
The agent's hard-coded enable timeout (300 s) becomes ENABLE_TIMEOUT_SECONDS. Every command the agent runs is
recorded in state/commands.jsonl with its start and end. An audit hook refuses writes, deletes, kills and
connections outside the sandbox; what it refused is in state/refused.log. Run with `env -i`, as root, with
PYTHONPATH at the unpacked package's dist-packages.
"""
import json
import os
import signal
import sys
import time

sandbox, address, enable_timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
state_directory = os.path.join(sandbox, "state")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_wireserver  # noqa: E402

configuration = os.path.join(sandbox, "waagent.conf")
settings = {
    "Extensions.Enabled": "y", "Provisioning.Agent": "disabled", "Provisioning.MonitorHostName": "n",
    "ResourceDisk.Format": "n", "ResourceDisk.EnableSwap": "n", "OS.EnableFirewall": "n", "OS.EnableRDMA": "n",
    "OS.RootDeviceScsiTimeout": "None", "Logs.Collect": "n", "Logs.Console": "n", "Logs.Verbose": "n",
    "AutoUpdate.Enabled": "n", "CGroups.Enabled": "n", "Debug.CgroupLogMetrics": "n",
    "Monitor.NetworkConfigurationChanges": "n", "Lib.Dir": os.path.join(sandbox, "lib"),
    "Extension.LogDir": os.path.join(sandbox, "log"), "Pid.File": os.path.join(sandbox, "waagent.pid"),
    "DVD.MountPoint": os.path.join(sandbox, "dvd"), "OS.SshDir": os.path.join(sandbox, "ssh"),
    "OS.HomeDir": os.path.join(sandbox, "home"), "OS.PasswordPath": os.path.join(sandbox, "shadow"),
    "OS.SudoersDir": os.path.join(sandbox, "sudoers.d"),
}
with open(configuration, "w") as f:
    f.write("".join("%s=%s\n" % item for item in settings.items()))
for folder in ("lib", "log", "tmp", "state"):
    os.makedirs(os.path.join(sandbox, folder), exist_ok=True)

fake_wireserver.start(address, state_directory)

from azurelinuxagent.common import conf  # noqa: E402
from azurelinuxagent.common.osutil import default as osutil_default  # noqa: E402
from azurelinuxagent.common.protocol import imds, util as protocol_util  # noqa: E402
from azurelinuxagent.common.utils import restutil  # noqa: E402
from azurelinuxagent.ga import exthandlers, remoteaccess  # noqa: E402

restutil.KNOWN_WIRESERVER_IP = address
protocol_util.KNOWN_WIRESERVER_IP = address
imds.IMDS_ENDPOINT = address
agent_log = os.path.join(sandbox, "waagent.log")
conf.get_agent_log_file = lambda: agent_log
osutil_default.DefaultOSUtil.is_dhcp_available = lambda self: False
osutil_default.DefaultOSUtil.get_firewall_dropped_packets = lambda self, dst_ip=None: 0
remoteaccess.RemoteAccessHandler.run = lambda self: None


def record(line):
    with open(os.path.join(state_directory, "commands.jsonl"), "a") as f:
        f.write(json.dumps(line) + "\n")


launch = exthandlers.ExtHandlerInstance.launch_command


def timed_launch(self, cmd, cmd_name=None, timeout=300, *args, **kwargs):
    if cmd_name == "enable":
        timeout = enable_timeout
    started = time.time()
    try:
        return launch(self, cmd, cmd_name, timeout, *args, **kwargs)
    finally:
        record({"command": cmd_name, "started": started, "ended": time.time(), "timeout": timeout,
                "sequenceNumber": (kwargs.get("env") or {}).get("ConfigSequenceNumber")})


exthandlers.ExtHandlerInstance.launch_command = timed_launch

inside = os.path.realpath(sandbox) + "/"
harmless = ("/dev/null", "/dev/urandom", "/proc/", "/sys/")


def allowed_path(path):
    if isinstance(path, int):
        return True
    if isinstance(path, bytes):
        path = path.decode(errors="replace")
    real = os.path.realpath(str(path))
    return (real + "/").startswith(inside) or real.startswith(harmless)


def refuse(event, args):
    with open(os.path.join(state_directory, "refused.log"), "a") as f:
        f.write("%s %r\n" % (event, args))
    raise PermissionError("sandbox: %s %r refused" % (event, args))


def own_child(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid()
    except (OSError, ValueError, IndexError):
        return False


def audit(event, args):
    if event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        if writing and not allowed_path(path):
            refuse(event, args)
    elif event in ("os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "shutil.rmtree", "os.truncate"):
        if not allowed_path(args[0]):
            refuse(event, args)
    elif event == "os.rename":
        if not (allowed_path(args[0]) and allowed_path(args[1])):
            refuse(event, args)
    elif event in ("os.kill", "os.killpg"):
        if not own_child(args[0]):
            refuse(event, args)
    elif event == "socket.connect":
        target = args[1]
        if isinstance(target, tuple) and not str(target[0]).startswith("127."):
            refuse(event, args)
    elif event == "subprocess.Popen":
        program = os.path.basename(str(args[0]))
        if program in ("iptables", "ip6tables", "useradd", "userdel", "usermod", "chpasswd", "passwd", "mount",
                       "umount", "systemctl", "service", "hostname", "hostnamectl", "dhclient", "modprobe",
                       "swapon", "sfdisk", "parted", "reboot", "shutdown", "ip"):
            refuse(event, args)


sys.addaudithook(audit)
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

from azurelinuxagent.agent import main  # noqa: E402

main(["-run-exthandlers", "-debug", "-configuration-path:" + configuration])
