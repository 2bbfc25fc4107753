// The bootstrap every warm python worker runs (python3 -c SCRIPT ...): it
// imports the function's handler once, then serves messages from the
// runner on stdin, each a batch of events, answering each event with one
// message on fd 3 as soon as it is done. A message is "<length>\n<JSON>".
// stdout and stderr are the function's log. The runner's per-run
// environment (temporary credentials, the endpoint) arrives with each
// message and replaces the previous one in os.environ.
#include "functions/detail/bootstrap.hpp"

namespace plumbline::functions::detail {

const char* const kPythonBootstrap = R"py(
import importlib, json, os, resource, signal, sys, time, traceback

code_dir, handler, name, memory, arn = sys.argv[1:6]
sys.path.insert(0, code_dir)
os.chdir(code_dir)
requests = sys.stdin.buffer
replies = os.fdopen(3, "wb")


class Context:
    def __init__(self, request_id, deadline_ms):
        self.aws_request_id = request_id
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = memory
        self.log_group_name = "/aws/lambda/" + name
        self.log_stream_name = "plumbline/" + str(os.getpid())
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


class TimedOut(BaseException):
    pass


class CpuExceeded(BaseException):
    pass


def on_alarm(signum, frame):
    raise TimedOut()


def on_xcpu(signum, frame):
    raise CpuExceeded()


signal.signal(signal.SIGALRM, on_alarm)
signal.signal(signal.SIGXCPU, on_xcpu)
_, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)


def limit_cpu(seconds):
    # A soft limit this many CPU seconds from now (None: none); the worker
    # is warm, so the limit counts from what it has used so far.
    if seconds is None:
        soft = cpu_hard
    else:
        used = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(used.ru_utime + used.ru_stime) + int(seconds) + 1
        if cpu_hard != resource.RLIM_INFINITY:
            soft = min(soft, cpu_hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))

function = None
load_error = None
module_name, _, function_name = handler.rpartition(".")
try:
    if not module_name:
        raise ValueError("Bad handler '%s': it must be module.function" % handler)
    module = importlib.import_module(module_name.replace("/", "."))
    function = getattr(module, function_name, None)
    if function is None:
        load_error = {"errorMessage": "Handler '%s' missing on module '%s'" % (function_name, module_name),
                      "errorType": "Runtime.HandlerNotFound"}
except Exception as e:
    traceback.print_exc()
    load_error = {"errorMessage": "Unable to import module '%s': %s" % (module_name, e),
                  "errorType": "Runtime.ImportModuleError"}


def send(reply):
    try:
        data = json.dumps(reply).encode()
    except Exception as e:
        data = json.dumps({"id": reply["id"], "error": {
            "errorMessage": "Unable to marshal response: %s" % e,
            "errorType": "Runtime.MarshalError"}}).encode()
    replies.write(b"%d\n" % len(data) + data)
    replies.flush()


def error_of(e):
    return {"errorMessage": str(e), "errorType": type(e).__name__,
            "stackTrace": traceback.format_tb(e.__traceback__)}


# Ready: the runner's per-event deadlines start only now, so a slow start
# (an interpreter shim, a busy machine, a heavy import) is not a timeout.
send({"id": "", "ready": True})

previous_env = set()
while True:
    header = requests.readline()
    if not header:
        break
    size = int(header)
    body = requests.read(size)
    if len(body) != size:
        break
    message = json.loads(body)
    for key in previous_env:
        os.environ.pop(key, None)
    env = message.get("env", {})
    os.environ.update(env)
    previous_env = set(env)
    timeout_ms = message["timeout_ms"]
    for call in message["calls"]:
        request_id = call["id"]
        started = time.time()
        print("START RequestId: %s Version: $LATEST" % request_id, flush=True)
        if load_error is not None:
            reply = {"id": request_id, "error": load_error}
        else:
            context = Context(request_id, started * 1000 + timeout_ms)
            limit_cpu(timeout_ms / 1000.0)
            signal.setitimer(signal.ITIMER_REAL, timeout_ms / 1000.0)
            try:
                result = function(call["event"], context)
                signal.setitimer(signal.ITIMER_REAL, 0)
                limit_cpu(None)
                reply = {"id": request_id, "result": result}
            except TimedOut:
                limit_cpu(None)
                reply = {"id": request_id, "error": {
                    "errorMessage": "Task timed out after %.2f seconds" % (timeout_ms / 1000.0),
                    "errorType": "Timeout"}}
            except CpuExceeded:
                signal.setitimer(signal.ITIMER_REAL, 0)
                limit_cpu(None)
                reply = {"id": request_id, "error": {
                    "errorMessage": "Function %s used more than %.2f seconds of CPU time" %
                                    (name, timeout_ms / 1000.0),
                    "errorType": "Timeout"}}
            except MemoryError:
                # Out of its MemorySize: the worker's heap may be in any
                # state, so it answers and ends; the runner starts another.
                signal.setitimer(signal.ITIMER_REAL, 0)
                traceback.print_exc(file=sys.stdout)
                send({"id": request_id, "error": {
                    "errorMessage": "Function %s ran out of memory: it tried to use more than "
                                    "its MemorySize of %s MB" % (name, memory),
                    "errorType": "Runtime.OutOfMemory"}})
                print("REPORT RequestId: %s\tMemory Size: %s MB\tout of memory" %
                      (request_id, memory), flush=True)
                sys.exit(1)
            except SystemExit as e:
                signal.setitimer(signal.ITIMER_REAL, 0)
                send({"id": request_id, "error": {
                    "errorMessage": "The handler exited (status %s)" % e.code,
                    "errorType": "Runtime.ExitError"}})
                sys.exit(1)
            except BaseException as e:
                signal.setitimer(signal.ITIMER_REAL, 0)
                print("[ERROR] %s: %s" % (type(e).__name__, e), flush=True)
                traceback.print_exc(file=sys.stdout)
                reply = {"id": request_id, "error": error_of(e)}
        send(reply)
        print("END RequestId: %s" % request_id, flush=True)
        print("REPORT RequestId: %s\tDuration: %.2f ms\tMemory Size: %s MB" %
              (request_id, (time.time() - started) * 1000, memory), flush=True)
)py";

}  // namespace plumbline::functions::detail
