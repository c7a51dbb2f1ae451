// The in-process half of the native core: calls that are safe from a multithreaded Node
// process. Namespace creation lives in the launcher executable instead (see DESIGN.md §3).
#include <napi.h>

#include <cerrno>
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
  return Result(info.Env(), fs_mkdir(Int(info, 0), rel.c_str(), (mode_t)Int(info, 2)), "mkdir", rel);
}

// writeFile(root, rel, mode, chunks: Buffer[], mtimeSeconds?)
Napi::Value WriteFile(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1);
  Napi::Array chunks = info[3].As<Napi::Array>();
  std::vector<struct iovec> iov(chunks.Length());
  for (uint32_t i = 0; i < chunks.Length(); i++) {
    Napi::Buffer<char> b = chunks.Get(i).As<Napi::Buffer<char>>();
    iov[i].iov_base = b.Data();
    iov[i].iov_len = b.Length();
  }
  int r = fs_write_file(Int(info, 0), rel.c_str(), (mode_t)Int(info, 2), iov.data(), (int)iov.size(), Mtime(info, 4));
  return Result(info.Env(), r, "write", rel);
}

Napi::Value Symlink(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1), target = Str(info, 2);
  return Result(info.Env(), fs_symlink(Int(info, 0), rel.c_str(), target.c_str(), Mtime(info, 3)), "symlink", rel);
}

Napi::Value Link(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1), target = Str(info, 2);
  return Result(info.Env(), fs_link(Int(info, 0), rel.c_str(), target.c_str()), "link", rel);
}

Napi::Value Mkfifo(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1);
  return Result(info.Env(), fs_mkfifo(Int(info, 0), rel.c_str(), (mode_t)Int(info, 2)), "mkfifo", rel);
}

Napi::Value FinishDir(const Napi::CallbackInfo &info) {
  std::string rel = Str(info, 1);
  return Result(info.Env(), fs_finish_dir(Int(info, 0), rel.c_str(), (mode_t)Int(info, 2), Mtime(info, 3)), "chmod", rel);
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
  return exports;
}

}  // namespace

NODE_API_MODULE(minictl_native, Init)
