// mql5_runtime.h -- a small executable MQL5 runtime for Linux, enough to run the EA's
// transport and codec (mql5/Include/MT5Bridge: Zmtp, Sha256, Codec, Session) against the real
// brain in the conformance test. Sources are rewritten by mql5check.build_executable with
// dynamic arrays as _mql_array<T>. Text is ASCII (the protocol's alphabet).
#pragma once
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long ulong;
typedef long datetime;

#define INVALID_HANDLE (-1)
#define CP_ACP 0
#define CP_UTF8 65001

//----------------------------------------------------------------------------- string
class string {
 public:
  std::string s;
  string() {}
  string(const char *c) : s(c) {}
  string(const std::string &x) : s(x) {}
  ushort operator[](int i) const { return (ushort)(uchar)s.at((size_t)i); }
  string &operator+=(const string &o) { s += o.s; return *this; }
  friend string operator+(const string &a, const string &b) { return string(a.s + b.s); }
  friend bool operator==(const string &a, const string &b) { return a.s == b.s; }
  friend bool operator!=(const string &a, const string &b) { return a.s != b.s; }
  friend bool operator<(const string &a, const string &b) { return a.s < b.s; }
  friend std::ostream &operator<<(std::ostream &o, const string &x) { return o << x.s; }
};

//----------------------------------------------------------------------------- arrays
template <class T> struct _mql_array {
  std::vector<T> v;
  T &operator[](int i) { return v.at((size_t)i); }
  const T &operator[](int i) const { return v.at((size_t)i); }
};
template <class T> int ArrayResize(_mql_array<T> &a, int n, int = 0) { a.v.resize((size_t)(n < 0 ? 0 : n)); return n; }
template <class T> int ArraySize(const _mql_array<T> &a) { return (int)a.v.size(); }
template <class T, class V> void ArrayInitialize(_mql_array<T> &a, V value) { for (auto &x : a.v) x = (T)value; }

//----------------------------------------------------------------------------- strings
inline int StringLen(const string &x) { return (int)x.s.size(); }
inline string StringSubstr(const string &x, int start, int length = -1) {
  if (start < 0 || (size_t)start >= x.s.size()) return string("");
  return string(length < 0 ? x.s.substr((size_t)start) : x.s.substr((size_t)start, (size_t)length));
}
inline bool StringSetCharacter(string &x, int pos, ushort c) {
  if (pos < 0 || pos >= (int)x.s.size()) return false;
  x.s[(size_t)pos] = (char)c;
  return true;
}
inline ushort StringGetCharacter(const string &x, int pos) {
  return pos >= 0 && (size_t)pos < x.s.size() ? (ushort)(uchar)x.s[(size_t)pos] : 0;
}
inline int StringFind(const string &x, const string &what, int start = 0) {
  size_t p = x.s.find(what.s, (size_t)(start < 0 ? 0 : start));
  return p == std::string::npos ? -1 : (int)p;
}
inline int StringReplace(string &x, const string &find, const string &rep) {
  if (find.s.empty()) return 0;
  int n = 0;
  size_t p = 0;
  while ((p = x.s.find(find.s, p)) != std::string::npos) {
    x.s.replace(p, find.s.size(), rep.s);
    p += rep.s.size();
    n++;
  }
  return n;
}
inline int StringSplit(const string &x, ushort sep, _mql_array<string> &out) {
  out.v.clear();
  std::string cur;
  for (char c : x.s) {
    if ((uchar)c == sep) { out.v.push_back(string(cur)); cur.clear(); }
    else cur += c;
  }
  out.v.push_back(string(cur));
  return (int)out.v.size();
}
inline int StringToCharArray(const string &x, _mql_array<uchar> &a, int start = 0, int count = -1, uint = CP_ACP) {
  int n = count < 0 ? (int)x.s.size() + 1 : (count < (int)x.s.size() ? count : (int)x.s.size());
  if ((int)a.v.size() < start + n) a.v.resize((size_t)(start + n));
  for (int i = 0; i < n; i++) a.v[(size_t)(start + i)] = i < (int)x.s.size() ? (uchar)x.s[(size_t)i] : 0;
  return n;
}
inline string CharArrayToString(const _mql_array<uchar> &a, int start = 0, int count = -1, uint = CP_ACP) {
  std::string out;
  int end = count < 0 ? (int)a.v.size() : start + count;
  for (int i = start; i < end && i < (int)a.v.size(); i++) {
    if (count < 0 && a.v[(size_t)i] == 0) break;
    out += (char)a.v[(size_t)i];
  }
  return string(out);
}
inline long StringToInteger(const string &x) { return std::strtol(x.s.c_str(), nullptr, 10); }
inline double StringToDouble(const string &x) { return std::strtod(x.s.c_str(), nullptr); }
inline string IntegerToString(long n, int = 0, ushort = ' ') { return string(std::to_string(n)); }
inline string DoubleToString(double v, int digits = 8) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return string(buf);
}
inline int StringTrimLeft(string &x) { size_t p = x.s.find_first_not_of(' '); x.s.erase(0, p == std::string::npos ? x.s.size() : p); return 0; }
inline int StringTrimRight(string &x) { size_t p = x.s.find_last_not_of(' '); x.s.erase(p == std::string::npos ? 0 : p + 1); return 0; }

//----------------------------------------------------------------------------- math, time, output
template <class A, class B> double MathMin(A a, B b) { return a < b ? (double)a : (double)b; }
template <class A, class B> double MathMax(A a, B b) { return a > b ? (double)a : (double)b; }
inline double MathFloor(double x) { return std::floor(x); }
inline ulong GetMicrosecondCount() {
  using namespace std::chrono;
  static const auto start = steady_clock::now();
  return (ulong)duration_cast<microseconds>(steady_clock::now() - start).count();
}
inline ulong GetTickCount64() {
  using namespace std::chrono;
  return (ulong)duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}
inline datetime TimeLocal() { return (datetime)std::time(nullptr); }
inline int MathRand() { return std::rand() & 0x7fff; }  // 0..32767, as MQL5's
inline void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
template <class... A> void Print(const A &...args) {
  std::ostringstream o;
  (o << ... << args);
  std::cout << o.str() << std::endl;
}

//----------------------------------------------------------------------------- sockets (blocking TCP, as MQL5's)
inline int SocketCreate(uint = 0) { return ::socket(AF_INET, SOCK_STREAM, 0); }
#define ERR_NETSOCKET_INVALIDHANDLE 5270
#define ERR_NETSOCKET_TOO_MANY_OPENED 5271
#define ERR_NETSOCKET_CANNOT_CONNECT 5272
#define ERR_NETSOCKET_IO_ERROR 5273
inline int &_mql_last_error() { static int e = 0; return e; }
inline int GetLastError() { return _mql_last_error(); }
inline void ResetLastError() { _mql_last_error() = 0; }
inline bool _mql_socket_close(const int sock);
inline bool SocketClose(const int sock) { return _mql_socket_close(sock); }
inline bool SocketConnect(int sock, const string &host, uint port, uint timeout_ms) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host.s.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res) {
    _mql_last_error() = 5272;
    return false;
  }
  timeval tv{(time_t)(timeout_ms / 1000), (suseconds_t)((timeout_ms % 1000) * 1000)};
  setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  bool ok = ::connect(sock, res->ai_addr, res->ai_addrlen) == 0;
  freeaddrinfo(res);
  if (!ok) _mql_last_error() = 5272;  // ERR_NETSOCKET_CANNOT_CONNECT
  int one = 1;
  setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return ok;
}
// MQL5's semantics, as documented (the MQL5 book, "Network sockets"; docs.mql5.com SocketRead):
// SocketRead returns -1 on a timeout as on an error, the error code (_LastError) tells them
// apart: ERR_NETSOCKET_IO_ERROR (5273) when the connection broke, after which SocketIsConnected
// is false; SocketIsReadable speculatively returns 1 when nothing is there; a read timeout of 0
// means the default 120000 ms; SocketTimeouts bounds a blocking send.
inline std::vector<int> &_mql_broken() { static std::vector<int> b; return b; }
inline bool _mql_is_broken(int sock) {
  for (int b : _mql_broken()) if (b == sock) return true;
  return false;
}
inline void _mql_break(int sock) {
  if (!_mql_is_broken(sock)) _mql_broken().push_back(sock);
  _mql_last_error() = ERR_NETSOCKET_IO_ERROR;
}
inline bool SocketIsConnected(const int sock) { return sock >= 0 && !_mql_is_broken(sock); }
inline bool SocketTimeouts(int sock, uint send_ms, uint /*receive_ms*/) {
  timeval tv{(time_t)(send_ms / 1000), (suseconds_t)((send_ms % 1000) * 1000)};
  return setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0;
}
inline int SocketSend(int sock, const _mql_array<uchar> &buf, uint len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::send(sock, buf.v.data() + done, len - done, MSG_NOSIGNAL);
    if (n <= 0) { _mql_break(sock); return -1; }  // an error or the send timeout
    done += (size_t)n;
  }
  return (int)done;
}
// bytes waiting to be read; 1 (speculatively) when none; 0 with 5273 when the peer is gone
inline uint SocketIsReadable(const int sock) {
  int n = 0;
  if (_mql_is_broken(sock) || ioctl(sock, FIONREAD, &n) != 0 || n < 0) { _mql_break(sock); return 0; }
  if (n == 0) {
    pollfd p{sock, POLLIN, 0};
    char c;
    if (::poll(&p, 1, 0) == 1 && ::recv(sock, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
      _mql_break(sock);  // orderly close by the peer
      return 0;
    }
    return 1;  // nothing there: MQL5 answers 1 and defers the check to the next read
  }
  return (uint)n;
}
// up to maxlen bytes within timeout_ms (0: 120000): the count read, or -1 on a timeout (error
// code unchanged) and on a broken connection (5273, SocketIsConnected false from then on)
inline int SocketRead(int sock, _mql_array<uchar> &buf, uint maxlen, uint timeout_ms) {
  buf.v.clear();
  if (_mql_is_broken(sock)) { _mql_last_error() = ERR_NETSOCKET_IO_ERROR; return -1; }
  pollfd p{sock, POLLIN, 0};
  int r = ::poll(&p, 1, (int)(timeout_ms == 0 ? 120000 : timeout_ms));
  if (r == 0) return -1;
  if (r < 0) { _mql_break(sock); return -1; }
  buf.v.resize(maxlen);
  ssize_t n = ::recv(sock, buf.v.data(), maxlen, 0);
  if (n <= 0) { buf.v.clear(); _mql_break(sock); return -1; }
  buf.v.resize((size_t)n);
  return (int)n;
}
inline bool _mql_socket_close(const int sock) {
  auto &b = _mql_broken();
  for (size_t i = 0; i < b.size(); i++) if (b[i] == sock) { b.erase(b.begin() + (long)i); break; }
  return sock >= 0 && ::close(sock) == 0;
}

//----------------------------------------------------------------------------- files
// The terminal's file sandbox: a folder named by MQL5_FILES (default: the working folder);
// "\\" in names separates folders as in MQL5. Text mode: FileReadString reads one line.
#include <sys/stat.h>
#define FILE_READ 1
#define FILE_WRITE 2
#define FILE_TXT 16
#define FILE_ANSI 32
#define FILE_SHARE_READ 128
#define ERR_FILE_CANNOT_OPEN 5004
#define ERR_FILE_NOT_EXIST 5019
inline std::vector<FILE *> &_mql_files() { static std::vector<FILE *> f; return f; }
inline std::string _mql_path(const string &name) {
  const char *root = std::getenv("MQL5_FILES");
  std::string p = std::string(root ? root : ".") + "/" + name.s;
  for (char &c : p) if (c == '\\') c = '/';
  for (size_t i = 1; i < p.size(); i++)
    if (p[i] == '/') { p[i] = 0; ::mkdir(p.c_str(), 0755); p[i] = '/'; }
  return p;
}
inline int FileOpen(const string &name, int flags, ...) {
  std::string p = _mql_path(name);
  bool r = flags & FILE_READ, w = flags & FILE_WRITE;
  FILE *f = nullptr;
  if (r && w) { f = std::fopen(p.c_str(), "r+b"); if (!f) f = std::fopen(p.c_str(), "w+b"); }
  else if (w) f = std::fopen(p.c_str(), "wb");
  else f = std::fopen(p.c_str(), "rb");
  if (!f) {
    _mql_last_error() = (r && !w) ? ERR_FILE_NOT_EXIST : ERR_FILE_CANNOT_OPEN;
    return INVALID_HANDLE;
  }
  _mql_files().push_back(f);
  return (int)_mql_files().size() - 1;
}
inline FILE *_mql_file(int h) {
  if (h < 0 || h >= (int)_mql_files().size() || !_mql_files()[(size_t)h]) throw std::runtime_error("bad file handle");
  return _mql_files()[(size_t)h];
}
inline void FileClose(int h) { std::fclose(_mql_file(h)); _mql_files()[(size_t)h] = nullptr; }
inline bool FileSeek(int h, long offset, int origin) { return std::fseek(_mql_file(h), offset, origin) == 0; }
inline uint FileWriteString(int h, const string &text, int = -1) {
  return (uint)std::fwrite(text.s.data(), 1, text.s.size(), _mql_file(h));
}
inline bool FileIsEnding(int h) {
  FILE *f = _mql_file(h);
  int c = std::fgetc(f);
  if (c == EOF) return true;
  std::ungetc(c, f);
  return false;
}
inline string FileReadString(int h, int = -1) {
  FILE *f = _mql_file(h);
  std::string line;
  for (int c; (c = std::fgetc(f)) != EOF && c != '\n';) if (c != '\r') line += (char)c;
  return string(line);
}
inline bool FileDelete(const string &name, int = 0) { return std::remove(_mql_path(name).c_str()) == 0; }
