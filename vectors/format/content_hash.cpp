#include "vectors/format/content_hash.hpp"

#include <cstdint>
#include <map>

#include <fmt/format.h>

#include "vectors/format/vector_writer.hpp"

namespace vtspec::vectors {

namespace {

// FNV-1a, 64 bits (the published offset basis and prime). Not a cryptographic hash: it tells
// an edited vector from its old record, it does not defend against a forger.
class Fnv1a {
 public:
  void bytes(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) state_ = (state_ ^ p[i]) * 0x100000001b3ull;
  }
  // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
  void text(const std::string& s) {
    number(s.size());
    bytes(s.data(), s.size());
  }
  void number(std::uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    bytes(b, 8);
  }
  std::uint64_t value() const { return state_; }

 private:
  std::uint64_t state_ = 0xcbf29ce484222325ull;
};

void hash_state(Fnv1a& h, const model::MachineState& s) {
  const model::CpuFeatures& f = s.features;
  h.number(f.maxphyaddr);
  for (bool b : {f.nx, f.page1gb, f.la57, f.smep, f.smap, f.pku, f.pks, f.pcid, f.invpcid}) h.number(b);
  const model::GuestRegisters& r = s.regs;
  for (std::uint64_t v : {r.cr0, r.cr3, r.cr4, r.efer, r.rflags, r.pkru, r.pkrs}) h.number(v);
  h.number(s.ept.has_value());
  if (s.ept) h.number(s.ept->eptp);
  const auto frames = s.memory.frame_numbers();
  h.number(frames.size());
  for (std::uint64_t frame : frames) {
    h.number(frame);
    for (std::uint64_t offset = 0; offset < model::PhysicalMemory::kFrameSize; offset += 8)
      h.number(s.memory.read64(frame * model::PhysicalMemory::kFrameSize + offset));
  }
}

}  // namespace

std::string content_hash(const Vector& v) {
  Fnv1a h;
  h.text(v.id);
  h.text(v.description);
  h.number(v.sdm.size());
  for (const auto& s : v.sdm) h.text(s);
  h.number(v.requires_features.size());
  for (const auto& s : v.requires_features) h.text(s);
  hash_state(h, v.initial);
  h.number(v.entries.size());
  for (const auto& e : v.entries) {
    h.text(e.name);
    h.number(e.physical);
  }
  h.number(v.operations.size());
  for (std::size_t i = 0; i < v.operations.size(); ++i)
    h.text(render_operation(v.operations[i], i < v.expectations.size() ? &v.expectations[i] : nullptr));
  // Only the notes this vector's outcomes name: editing another vector's note is not an edit of this one.
  std::map<std::string, std::string> used;
  for (const auto& e : v.expectations)
    for (const auto& o : e.outcomes)
      for (const auto& flag : o.flags)
        if (auto it = v.notes.find(flag); it != v.notes.end()) used.insert(*it);
  h.number(used.size());
  for (const auto& [flag, why] : used) {
    h.text(flag);
    h.text(why);
  }
  return fmt::format("{:016x}", h.value());
}

}  // namespace vtspec::vectors
