// The in-process half of the native core: calls that are safe from a multithreaded Node
// process. Namespace creation lives in the launcher executable instead (see DESIGN.md §3).
#include <napi.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/uio.h>
#include <unistd.h>
#include <vector>

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
long long Mtime(const Napi::CallbackInfo &info, size_t i) {
  return info.Length() > i && info[i].IsNumber() ? (long long)(info[i].As<Napi::Number>().DoubleValue() * 1e9) : -1;
}

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

Napi::Value Mkdir(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1);
  return Result(info.Env(), fs_mkdir(Int(info, 0), rel.c_str(), (mode_t)Int(info, 2), Owner(info, 3)), "mkdir", rel);
}

// writeFile(root, rel, mode, chunks: Buffer[], mtimeSeconds?, uid?, gid?)
Napi::Value WriteFile(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1);
  Napi::Array chunks = info[3].As<Napi::Array>();
  std::vector<struct iovec> iov(chunks.Length());
  for (uint32_t i = 0; i < chunks.Length(); i++) {
    Napi::Buffer<char> b = chunks.Get(i).As<Napi::Buffer<char>>();
    iov[i].iov_base = b.Data();
    iov[i].iov_len = b.Length();
  }
  int r = fs_write_file(Int(info, 0), rel.c_str(), (mode_t)Int(info, 2), iov.data(), (int)iov.size(), Mtime(info, 4), Owner(info, 5));
  return Result(info.Env(), r, "write", rel);
}

Napi::Value Symlink(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1), target = Str(info, 2);
  return Result(info.Env(), fs_symlink(Int(info, 0), rel.c_str(), target.c_str(), Mtime(info, 3), Owner(info, 4)), "symlink", rel);
}

Napi::Value Link(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1), target = Str(info, 2);
  return Result(info.Env(), fs_link(Int(info, 0), rel.c_str(), target.c_str()), "link", rel);
}

Napi::Value Mkfifo(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1);
  return Result(info.Env(), fs_mkfifo(Int(info, 0), rel.c_str(), (mode_t)Int(info, 2), Owner(info, 3)), "mkfifo", rel);
}

Napi::Value FinishDir(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1);
  return Result(info.Env(), fs_finish_dir(Int(info, 0), rel.c_str(), (mode_t)Int(info, 2), Mtime(info, 3)), "chmod", rel);
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("openRoot", Napi::Function::New(env, OpenRoot));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("mkdir", Napi::Function::New(env, Mkdir));
  exports.Set("writeFile", Napi::Function::New(env, WriteFile));
  exports.Set("symlink", Napi::Function::New(env, Symlink));
  exports.Set("link", Napi::Function::New(env, Link));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("finishDir", Napi::Function::New(env, FinishDir));
  exports.Set("readFile", Napi::Function::New(env, ReadFile));
  return exports;
}

}  // namespace

NODE_API_MODULE(minictl_native, Init)
