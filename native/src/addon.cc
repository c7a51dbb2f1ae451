// The in-process half of the native core: calls that are safe from a multithreaded Node
// process. Namespace creation lives in the launcher executable instead (see DESIGN.md §3).
#include <napi.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/xattr.h>
#include <unistd.h>

#include "fsops.h"

namespace {

// Errors carry the errno name in .code, as Node's own fs errors do, plus the syscall and path.
Napi::Value Throw(Napi::Env env, int err, const char *syscall, const std::string &path) {
  const char *name = strerrorname_np(err);
  std::string msg = std::string(syscall) + " " + path + ": " + (name ? name : "E?") + " (" + strerror(err) + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  e.Set("path", Napi::String::New(env, path));
  e.ThrowAsJavaScriptException();
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("openRoot", Napi::Function::New(env, OpenRoot));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("readFile", Napi::Function::New(env, ReadFile));
  exports.Set("hasXattr", Napi::Function::New(env, HasXattr));
  return exports;
}

}  // namespace

NODE_API_MODULE(minictl_native, Init)
