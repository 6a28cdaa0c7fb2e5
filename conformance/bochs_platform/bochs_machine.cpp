#include "conformance/bochs_platform/bochs_machine.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace vtspec::conformance::bochs {
namespace detail {
extern const std::uint8_t kBootSector[];
extern const std::size_t kBootSectorSize;
}  // namespace detail

namespace {

namespace fs = std::filesystem;

const char* const kBios = "/usr/share/bochs/BIOS-bochs-latest";
const char* const kVgaBios = "/usr/share/vgabios/vgabios.bin";
const char* const kRfbPlugin = "/usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_rfb_gui.so";
constexpr std::size_t kEntryOffset = 504;      // guest/boot_sector.S: `entry`
constexpr std::size_t kFloppyBytes = 1474560;  // a 1.44 MB floppy image (sparse)

bool on_path(const char* program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  return false;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, std::span<const std::uint8_t> bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

template <class T>
T load_le(std::span<const std::uint8_t> image, std::size_t at) {
  T v{};
  if (at + sizeof v > image.size()) throw std::runtime_error("the proxy image is truncated");
  std::memcpy(&v, image.data() + at, sizeof v);
  return v;
}

// The long-mode proxy's loadable segments as one flat image from VT_QEMU_PROXY_BASE (what
// a multiboot loader would place), and its entry point (ELF32: the multiboot build).
std::vector<std::uint8_t> flat_proxy(std::uint32_t& entry) {
  const auto elf = qemu::long_mode_proxy_image();
  entry = load_le<std::uint32_t>(elf, 24);
  const auto phoff = load_le<std::uint32_t>(elf, 28);
  const auto phentsize = load_le<std::uint16_t>(elf, 42), phnum = load_le<std::uint16_t>(elf, 44);
  std::vector<std::uint8_t> flat;
  for (unsigned i = 0; i < phnum; ++i) {
    const std::size_t ph = phoff + std::size_t{i} * phentsize;
    if (load_le<std::uint32_t>(elf, ph) != 1) continue;  // PT_LOAD
    const auto offset = load_le<std::uint32_t>(elf, ph + 4), paddr = load_le<std::uint32_t>(elf, ph + 12);
    const auto filesz = load_le<std::uint32_t>(elf, ph + 16);
    if (paddr < VT_QEMU_PROXY_BASE || offset + std::size_t{filesz} > elf.size())
      throw std::runtime_error("the proxy image has a segment outside its place");
    const std::size_t at = paddr - VT_QEMU_PROXY_BASE;
    if (flat.size() < at + filesz) flat.resize(at + filesz, 0);
    std::memcpy(flat.data() + at, elf.data() + offset, filesz);
  }
  if (flat.size() > VT_QEMU_SVM_HSAVE - VT_QEMU_PROXY_BASE) throw std::runtime_error("the proxy image overlaps its data");
  return flat;
}

// "r LIST INDEX RESULT MASK STATUS VMX_FAIL", "L LIST", "B LISTS" (mailbox_abi.h).
void parse_output(const std::string& text, BatchOutcome& out, bool& ended) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string tag;
    f >> tag;
    std::vector<std::uint64_t> v;
    for (std::string word; f >> word;) {
      char* end = nullptr;
      const unsigned long long n = std::strtoull(word.c_str(), &end, 16);
      if (*end != '\0') {
        v.clear();
        break;
      }
      v.push_back(n);
    }
    if (tag == "r" && v.size() == 6 && v[0] < out.lists.size() && v[1] < out.lists[v[0]].size()) {
      Command& c = out.lists[v[0]][v[1]];
      c.result = v[2];
      c.mask = v[3];
      c.status = static_cast<std::uint32_t>(v[4]);
      c.vmx_fail = static_cast<std::uint32_t>(v[5]);
    } else if (tag == "L" && v.size() == 1 && v[0] == out.completed) {
      ++out.completed;
    } else if (tag == "B" && v.size() == 1) {
      ended = v[0] == out.lists.size();
    }
  }
}

std::string log_tail(const fs::path& log) {
  std::string text = read_file(log);
  // The lines that say why: Bochs's panics and errors ("p[" and "e[" records), else the end.
  std::istringstream lines(text);
  std::string why;
  for (std::string line; std::getline(lines, line);)
    if (line.find("p[") != std::string::npos || line.find("e[") != std::string::npos) why += line + "\n";
  if (why.empty()) why = text;
  if (why.size() > 600) why = "..." + why.substr(why.size() - 600);
  return why;
}

}  // namespace

std::string bochs_unavailable_reason() {
  if (!on_path("bochs")) return "bochs is not installed (Debian packages bochs, bochsbios, vgabios)";
  for (const char* f : {kBios, kVgaBios, kRfbPlugin})
    if (access(f, R_OK) != 0) return fmt::format("{} is missing (Debian packages bochs, bochsbios, vgabios)", f);
  return {};
}

std::string bochs_version() {
  std::string out;
  if (FILE* p = popen("bochs --help 2>&1", "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  const auto at = out.find("Bochs x86 Emulator");
  if (at == std::string::npos) return {};
  const auto end = out.find('\n', at);
  std::string line = out.substr(at, end - at);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

BatchOutcome run_batch(const RunConfig& config, const Batch& batch) {
  const auto t0 = std::chrono::steady_clock::now();
  BatchOutcome out;
  out.lists = batch.lists();
  char dir_template[] = "/tmp/vtspec-bochs-XXXXXX";
  if (!mkdtemp(dir_template)) {
    out.failure = "cannot create a directory for Bochs's files";
    return out;
  }
  const fs::path dir = dir_template;
  int pid = -1;
  try {
    std::uint32_t entry = 0;
    const std::vector<std::uint8_t> proxy = flat_proxy(entry);
    write_file(dir / "proxy.bin", proxy);
    const std::vector<std::uint8_t> image = batch.serialize();
    // The batch as a flat ATA disk (read by the proxy, mailbox_abi.h): whole cylinders of
    // 16 heads x 63 sectors, the geometry given to Bochs.
    write_file(dir / "batch.img", image);
    constexpr std::uint64_t kCylinder = 16 * 63 * 512;
    const std::uint64_t cylinders = std::max<std::uint64_t>(1, (image.size() + kCylinder - 1) / kCylinder);
    fs::resize_file(dir / "batch.img", cylinders * kCylinder);
    std::vector<std::uint8_t> boot(detail::kBootSector, detail::kBootSector + detail::kBootSectorSize);
    if (boot.size() != 512) throw std::runtime_error("the boot sector is not 512 bytes");
    std::memcpy(boot.data() + kEntryOffset, &entry, sizeof entry);
    write_file(dir / "floppy.img", boot);
    fs::resize_file(dir / "floppy.img", kFloppyBytes);
    // RAM up to the batch's end and 16 MiB more: the BIOS puts its ACPI tables at the top.
    const std::uint64_t megs = ((VT_BATCH_BASE + image.size()) >> 20) + 17;
    std::ofstream rc(dir / "bochsrc");
    rc << fmt::format("megs: {}\n", megs) << "romimage: file=" << kBios << "\n"
       << "vgaromimage: file=" << kVgaBios << "\n"
       << fmt::format("optramimage1: file={}, address={:#x}\n", (dir / "proxy.bin").string(), VT_QEMU_PROXY_BASE)
       << fmt::format("ata0-master: type=disk, path={}, mode=flat, cylinders={}, heads=16, spt=63\n",
                      (dir / "batch.img").string(), cylinders)
       << "floppya: 1_44=" << (dir / "floppy.img").string() << ", status=inserted\nboot: floppy\n"
       // Headless: no "nogui" library in this build; rfb without waiting for a client.
       << "display_library: rfb, options=\"timeout=0\"\n"
       << "port_e9_hack: enabled=1\nspeaker: enabled=0\nsound: driver=dummy\n"
       << "cpu: model=" << config.cpu_model << ", reset_on_triple_fault=0\n"
       << "log: " << (dir / "bochs.log").string() << "\n";
    rc.close();
    std::ofstream(dir / "debugger.rc") << "continue\nquit\n";
    pid = fork();
    if (pid < 0) throw std::runtime_error("cannot fork");
    if (pid == 0) {
      const int null = open("/dev/null", O_RDWR);
      const int o = open((dir / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int e = open((dir / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(null, 0);
      dup2(o, 1);
      dup2(e, 2);
      const std::string rcfile = (dir / "bochsrc").string(), debugger = (dir / "debugger.rc").string();
      execlp("bochs", "bochs", "-q", "-f", rcfile.c_str(), "-rc", debugger.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const auto deadline = t0 + config.timeout;
    bool exited = false, timed_out = false;
    while (!exited) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        timed_out = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    pid = -1;
    bool ended = false;
    parse_output(read_file(dir / "stdout"), out, ended);
    if (timed_out)
      out.failure = fmt::format("Bochs did not finish within {} ms (hung) after {} of {} lists", config.timeout.count(),
                                out.completed, out.lists.size());
    else if (!ended)
      out.failure = fmt::format("Bochs ended after {} of {} lists without the proxy's end of batch", out.completed,
                                out.lists.size());
    if (!out.failure.empty()) out.failure += "; Bochs said: " + log_tail(dir / "bochs.log");
  } catch (const std::exception& e) {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    out.failure = e.what();
  }
  std::error_code ignored;
  if (!std::getenv("VTSPEC_KEEP_BOCHS_FILES")) fs::remove_all(dir, ignored);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace vtspec::conformance::bochs
