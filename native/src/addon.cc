// The in-process half of the native core: calls that are safe from a multithreaded Node
// process. Namespace creation lives in the launcher executable instead (see DESIGN.md §3).
#include <napi.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <vector>

#include "fsops.h"
#include "spawn.h"

namespace {

// Errors carry the errno name in .code, as Node's own fs errors do, plus the syscall and path.
Napi::Error ErrnoError(Napi::Env env, int err, const char *syscall, const std::string &path) {
  const char *name = strerrorname_np(err);
  std::string msg = std::string(syscall) + " " + path + ": " + (name ? name : "E?") + " (" + strerror(err) + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  e.Set("path", Napi::String::New(env, path));
  return e;
}

Napi::Value Throw(Napi::Env env, int err, const char *syscall, const std::string &path) {
  ErrnoError(env, err, syscall, path).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value Result(Napi::Env env, int r, const char *syscall, const std::string &path) {
  if (r < 0) return Throw(env, -r, syscall, path);
  return env.Undefined();
}

int Int(const Napi::CallbackInfo &info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }
std::string Str(const Napi::CallbackInfo &info, size_t i) { return info[i].As<Napi::String>().Utf8Value(); }
// Optional trailing (uid, gid): absent or -1 keeps the creator's ids.
struct fs_owner Owner(const Napi::CallbackInfo &info, size_t i) {
  struct fs_owner o = {-1, -1};
  if (info.Length() > i && info[i].IsNumber()) o.uid = info[i].As<Napi::Number>().Int32Value();
  if (info.Length() > i + 1 && info[i + 1].IsNumber()) o.gid = info[i + 1].As<Napi::Number>().Int32Value();
  return o;
}

Napi::Value OpenRoot(const Napi::CallbackInfo &info) {
  std::string path = Str(info, 0);
  int fd = fs_open_root(path.c_str());
  if (fd < 0) return Throw(info.Env(), -fd, "open", path);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Close(const Napi::CallbackInfo &info) {
  close(Int(info, 0));
  return info.Env().Undefined();
}

Napi::Value Mkfifo(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1);
  return Result(info.Env(), fs_mkfifo(Int(info, 0), rel.c_str(), (mode_t)Int(info, 2), Owner(info, 3)), "mkfifo", rel);
}

// readFile(root, rel): the file's bytes, resolved inside root; at most 4 MiB (config files).
Napi::Value ReadFile(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1);
  char *data = nullptr;
  long n = fs_read_file(Int(info, 0), rel.c_str(), 4 << 20, &data);
  if (n < 0) return Throw(info.Env(), (int)-n, "read", rel);
  Napi::Buffer<char> out = Napi::Buffer<char>::Copy(info.Env(), data, (size_t)n);
  free(data);
  return out;
}

// hasXattr(path, name): whether the file carries this extended attribute (e.g. the
// security.capability of a helper installed with file capabilities instead of setuid).
Napi::Value HasXattr(const Napi::CallbackInfo &info) {
  std::string path = Str(info, 0), name = Str(info, 1);
  return Napi::Boolean::New(info.Env(), getxattr(path.c_str(), name.c_str(), nullptr, 0) >= 0);
}

// A spawn request's strings and fds, kept alive while it runs.
struct Request {
  std::string file;
  std::vector<std::string> strs;
  std::vector<char *> argv;
  std::vector<int> fds;

  Request(Napi::Value fileValue, Napi::Array args, Napi::Array fdList) : file(fileValue.As<Napi::String>().Utf8Value()) {
    for (uint32_t i = 0; i < args.Length(); i++) strs.push_back(args.Get(i).As<Napi::String>().Utf8Value());
    for (auto &a : strs) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (uint32_t i = 0; i < fdList.Length(); i++) fds.push_back(fdList.Get(i).As<Napi::Number>().Int32Value());
  }

  struct spawn_req Req(bool newSession, bool sealedCopy) {
    return {file.c_str(), argv.data(), fds.data(), (int)fds.size(), newSession, sealedCopy};
  }
};

// spawn(file, argv, fds, newSession, sealedCopy): the child's pid (see spawn.h).
Napi::Value Spawn(const Napi::CallbackInfo &info) {
  Request r(info[0], info[1].As<Napi::Array>(), info[2].As<Napi::Array>());
  struct spawn_req req = r.Req(info[3].ToBoolean(), info[4].ToBoolean());
  pid_t pid = -1;
  int err = spawn_process(&req, &pid);
  if (err < 0) return Throw(info.Env(), -err, "spawn", r.file);
  return Napi::Number::New(info.Env(), pid);
}

// Requests started in the background (spawnStart) until spawnJoin; joined at the latest when
// the handle is collected, so that no thread outlives the strings it uses. The batch holds
// copies of the fds to pass: the caller may close its own as soon as spawnStart returns.
struct Batch {
  std::vector<Request> reqs;
  std::vector<struct spawn_job> jobs;
  bool joined = false;

  void Join() {
    if (joined) return;
    spawn_join(jobs.data(), (int)jobs.size());
    for (auto &r : reqs)
      for (int fd : r.fds)
        if (fd >= 0) close(fd);
    joined = true;
  }
  ~Batch() { Join(); }
};

// spawnStart([[file, argv, fds, newSession?, sealedCopy?], ...]): a handle for spawnJoin; the
// execs run meanwhile.
Napi::Value SpawnStart(const Napi::CallbackInfo &info) {
  Napi::Array list = info[0].As<Napi::Array>();
  auto *batch = new Batch();
  batch->reqs.reserve(list.Length());
  std::vector<std::pair<bool, bool>> flags;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Array item = list.Get(i).As<Napi::Array>();
    batch->reqs.emplace_back(item.Get(0u), item.Get(1u).As<Napi::Array>(), item.Get(2u).As<Napi::Array>());
    flags.emplace_back(item.Get(3u).ToBoolean(), item.Get(4u).ToBoolean());
    for (int &fd : batch->reqs.back().fds)
      if (fd >= 0) fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);  // -1 (EBADF) gives the child /dev/null
  }
  for (size_t i = 0; i < batch->reqs.size(); i++)
    batch->jobs.push_back({batch->reqs[i].Req(flags[i].first, flags[i].second), -1, 0, {}, 0});
  spawn_start(batch->jobs.data(), (int)batch->jobs.size());
  return Napi::External<Batch>::New(info.Env(), batch, [](Napi::Env, Batch *b) { delete b; });
}

// spawnJoin(handle): for each request, its pid or the errno error of its exec.
Napi::Value SpawnJoin(const Napi::CallbackInfo &info) {
  Batch *batch = info[0].As<Napi::External<Batch>>().Data();
  batch->Join();
  Napi::Array out = Napi::Array::New(info.Env(), batch->jobs.size());
  for (uint32_t i = 0; i < batch->jobs.size(); i++)
    out.Set(i, batch->jobs[i].err < 0 ? ErrnoError(info.Env(), -batch->jobs[i].err, "spawn", batch->reqs[i].file).Value()
                                      : Napi::Number::New(info.Env(), batch->jobs[i].pid).As<Napi::Value>());
  return out;
}

// exit(code): ends the process at once, as _exit does. Node's exit joins its threads and
// runs its teardown (~0.6 ms); minictl calls this when all its output is written.
Napi::Value Exit(const Napi::CallbackInfo &info) {
  _exit(Int(info, 0));
}

// wait(pid, nohang): {code, signal} once it has exited; null while it runs (nohang).
Napi::Value Wait(const Napi::CallbackInfo &info) {
  int status = 0, pid = Int(info, 0);
  int r = spawn_wait(pid, info[1].ToBoolean(), &status);
  if (r < 0) return Throw(info.Env(), -r, "waitpid", std::to_string(pid));
  if (status == -1) return info.Env().Null();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("code", WIFEXITED(status) ? Napi::Number::New(info.Env(), WEXITSTATUS(status)) : info.Env().Null());
  out.Set("signal", WIFSIGNALED(status) ? Napi::Number::New(info.Env(), WTERMSIG(status)) : info.Env().Null());
  return out;
}

// pidfdOpen(pid): a pidfd naming that process for as long as the fd is open.
Napi::Value PidfdOpen(const Napi::CallbackInfo &info) {
  int pid = Int(info, 0);
  int fd = pidfd_of(pid);
  if (fd < 0) return Throw(info.Env(), -fd, "pidfd_open", std::to_string(pid));
  return Napi::Number::New(info.Env(), fd);
}

// pidfdSignal(fd, signo)
Napi::Value PidfdSignal(const Napi::CallbackInfo &info) {
  return Result(info.Env(), pidfd_signal(Int(info, 0), Int(info, 1)), "pidfd_send_signal", "");
}

// readable(fd, timeoutMs): whether fd has input, or its end, within the time.
Napi::Value Readable(const Napi::CallbackInfo &info) {
  int r = wait_readable(Int(info, 0), Int(info, 1));
  if (r < 0) return Throw(info.Env(), -r, "poll", "");
  return Napi::Boolean::New(info.Env(), r > 0);
}

Napi::Value FdPair(Napi::Env env, int r, const int fds[2], const char *syscall) {
  if (r < 0) return Throw(env, errno, syscall, "");
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, fds[0]);
  out.Set(1u, fds[1]);
  return out;
}

// socketpair(): two connected unix stream sockets, close-on-exec.
Napi::Value Socketpair(const Napi::CallbackInfo &info) {
  int fds[2];
  return FdPair(info.Env(), socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), fds, "socketpair");
}

// pipe(): [read end, write end], close-on-exec.
Napi::Value Pipe(const Napi::CallbackInfo &info) {
  int fds[2];
  return FdPair(info.Env(), pipe2(fds, O_CLOEXEC), fds, "pipe");
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn));
  exports.Set("spawnStart", Napi::Function::New(env, SpawnStart));
  exports.Set("spawnJoin", Napi::Function::New(env, SpawnJoin));
  exports.Set("exit", Napi::Function::New(env, Exit));
  exports.Set("wait", Napi::Function::New(env, Wait));
  exports.Set("socketpair", Napi::Function::New(env, Socketpair));
  exports.Set("pipe", Napi::Function::New(env, Pipe));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("readable", Napi::Function::New(env, Readable));
  exports.Set("pidfdSignal", Napi::Function::New(env, PidfdSignal));
  exports.Set("openRoot", Napi::Function::New(env, OpenRoot));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("readFile", Napi::Function::New(env, ReadFile));
  exports.Set("hasXattr", Napi::Function::New(env, HasXattr));
  return exports;
}

}  // namespace

NODE_API_MODULE(minictl_native, Init)
