#include "conformance/targets/l1_guest_harness.hpp"

#include <fmt/format.h>

#include "model/physical_memory.hpp"
#include "spec/ept_pointer.hpp"
#include "spec/ept_walk.hpp"
#include "spec/paging_entry.hpp"

namespace vtspec::conformance::l1 {

namespace {

constexpr std::uint64_t P = 1, RW = 2, US = 4, A = 1 << 5, D = 1 << 6, NX = 1ull << 63;
constexpr std::uint64_t kTable = P | RW | US | A;
// EPT entries (SDM Vol. 3C 29.3.2): read, write, execute in bits 2:0; a leaf's memory type in
// bits 5:3 (6 = WB, 29.3.7).
constexpr std::uint64_t kEptRwx = 7, kEptWriteBack = 6ull << 3;
// Harness pages, host-physical = guest-physical.
constexpr std::uint64_t kGuestPdpt = kHarnessBase, kGuestPd = kHarnessBase + 0x1000, kGuestPt = kHarnessBase + 0x2000;
constexpr std::uint64_t kStubPage = kHarnessBase + 0x3000, kStackS = kHarnessBase + 0x4000, kStackU = kHarnessBase + 0x5000;
constexpr std::uint64_t kNestedPd = kHarnessBase + 0x6000, kNestedPt = kHarnessBase + 0x7000;
constexpr unsigned kHarnessPages = 8;

}  // namespace

std::vector<std::uint8_t> stub_page(Vendor vendor) {
  std::vector<std::uint8_t> page(4096, 0xcc);  // INT3 everywhere else
  const std::uint8_t call_l1 = vendor == Vendor::amd ? 0xd9 : 0xc1;  // 0F 01 D9 VMMCALL, 0F 01 C1 VMCALL
  auto put = [&](std::uint64_t at, std::initializer_list<std::uint8_t> bytes) {
    std::size_t i = at;
    for (auto b : bytes) page[i++] = b;
    for (auto b : {std::uint8_t{0x0f}, std::uint8_t{0x01}, call_l1}) page[i++] = b;
  };
  put(kReadStub + 0x00, {0x0f, 0xb6, 0x00});        // movzbl (%rax), %eax
  put(kReadStub + 0x10, {0x0f, 0xb7, 0x00});        // movzwl (%rax), %eax
  put(kReadStub + 0x20, {0x8b, 0x00});              // mov (%rax), %eax
  put(kReadStub + 0x30, {0x48, 0x8b, 0x00});        // mov (%rax), %rax
  put(kWriteStub + 0x00, {0x88, 0x18});             // mov %bl, (%rax)
  put(kWriteStub + 0x10, {0x66, 0x89, 0x18});       // mov %bx, (%rax)
  put(kWriteStub + 0x20, {0x89, 0x18});             // mov %ebx, (%rax)
  put(kWriteStub + 0x30, {0x48, 0x89, 0x18});       // mov %rbx, (%rax)
  put(kFetchStub, {0xff, 0xd0});                    // call *%rax
  put(kNopStub, {});
  put(kInvlpgStub, {0x0f, 0x01, 0x38});             // invlpg (%rax)
  return page;
}

std::string lay_out(const model::MachineState& s, Vendor vendor, Layout& out) {
  for (std::uint64_t n : s.memory.frame_numbers()) {
    const std::uint8_t* bytes = s.memory.frame_bytes(n);
    out.frames.push_back({n * model::PhysicalMemory::kFrameSize, {bytes, bytes + model::PhysicalMemory::kFrameSize}});
  }
  const unsigned maxphyaddr = s.features.maxphyaddr;
  const std::uint64_t frame = spec::frame_mask(maxphyaddr);
  const std::uint64_t reserved = spec::bit_range(51, maxphyaddr);
  // The nested side: from the root, entry 0 of each table above the PDPT must lead to the
  // PDPT whose entry 1 the harness takes, with the rights the harness's own pages need (its
  // walks and stubs write and execute there at CPL 0 and 3).
  const bool amd = vendor == Vendor::amd;
  const std::uint64_t table_bits = amd ? kTable : kEptRwx, leaf_bits = amd ? kTable | D : kEptRwx | kEptWriteBack;
  std::uint64_t table = (amd ? s.npt->ncr3 : s.ept->eptp) & frame;
  const unsigned levels = amd ? 4 : s.ept_shape().levels;
  for (unsigned level = levels; level > 3; --level) {
    const std::uint64_t entry = s.memory.read64(table);
    const bool usable = amd ? (entry & (P | RW | US)) == (P | RW | US) && !((entry & NX) && s.npt->host_nxe)
                            : (entry & kEptRwx) == kEptRwx && (entry & spec::bit_range(7, 3)) == 0;
    if (!usable || (entry & reserved))
      return fmt::format("the vector's nested level-{} entry 0 ({:#x}) denies the harness a {}: its code could not run", level,
                         entry, amd ? "user write or fetch" : "read, write or execute");
    table = entry & frame;
  }
  out.words.emplace_back(table + 8, kNestedPd | table_bits);  // nested PDPT[1]: gpa [1G, 2G)
  const unsigned pd_index = static_cast<unsigned>((kHarnessBase - kHarnessGpaBegin) >> 21);
  out.words.emplace_back(kNestedPd + 8 * pd_index, kNestedPt | table_bits);
  for (unsigned i = 0; i < kHarnessPages; ++i) {
    const std::uint64_t page = kHarnessBase + 0x1000 * i;
    out.words.emplace_back(kNestedPt + 8 * ((page >> 12) & 511), page | leaf_bits);
  }
  // The guest side: entry 511 of the guest's PML4 page, wherever the nested stage puts it.
  const auto pml4 = s.guest_physical().host_address(s.regs.cr3 & frame);
  if (!pml4) return "the guest's PML4 page is not mapped by the nested stage: the harness's code could not be reached";
  if (!amd) {
    // The harness's own walks read that page through EPT; with EPT A/D they count as writes
    // (SDM Vol. 3C 29.3.3.2). A vector whose EPT denies that cannot run the harness.
    spec::EptAccess<spec::Concrete> walk;
    walk.read = true;
    walk.write = (s.ept->eptp >> spec::eptp::accessed_dirty) & 1;
    const auto w = spec::walk_ept<spec::Concrete>(s.ept_shape(), s.ept->eptp, s.regs.cr3 & frame, walk, s.memory);
    if (!w.translated)
      return fmt::format("the vector's EPT denies the guest's PML4 page (guest-physical {:#x}) the {} the harness's own walks make "
                         "there (its entry 511): its code could not be reached",
                         s.regs.cr3 & frame, walk.write ? "reads and writes" : "reads");
  }
  out.words.emplace_back(*pml4 + 8 * 511, kGuestPdpt | kTable);
  out.words.emplace_back(kGuestPdpt, kGuestPd | kTable);
  out.words.emplace_back(kGuestPd, kGuestPt | kTable);
  out.words.emplace_back(kGuestPt + 0, kStubPage | P | A);                // supervisor stubs (read-only, executable)
  out.words.emplace_back(kGuestPt + 8, kStubPage | P | US | A);           // user stubs
  out.words.emplace_back(kGuestPt + 16, kStackS | P | RW | A | D);        // supervisor stack
  out.words.emplace_back(kGuestPt + 24, kStackU | P | RW | US | A | D);   // user stack
  out.frames.push_back({kStubPage, stub_page(vendor)});  // a whole page: one copy, not 512 words
  return {};
}

std::optional<GuestRun> guest_run(const model::Operation& op) {
  auto size_slot = [](unsigned size) { return size == 1 ? 0u : size == 2 ? 0x10u : size == 4 ? 0x20u : 0x30u; };
  GuestRun run;
  switch (op.kind) {
    case model::OperationKind::access: {
      if (op.access.implicit_supervisor) return std::nullopt;
      const std::uint64_t stub = op.access.kind == spec::AccessKind::read    ? kReadStub + size_slot(op.size)
                                 : op.access.kind == spec::AccessKind::write ? kWriteStub + size_slot(op.size)
                                                                             : kFetchStub;
      run.cpl = op.access.cpl;
      run.stub = (run.cpl == 3 ? kUserStubs : kSupervisorStubs) + stub;
      run.rax = op.access.linear;
      run.rbx = op.value;
      return run;
    }
    case model::OperationKind::invlpg:
      run.stub = kSupervisorStubs + kInvlpgStub;
      run.rax = op.address;
      return run;
    default: return std::nullopt;
  }
}

GuestRun exit_call_run() {
  GuestRun run;
  run.stub = kSupervisorStubs + kNopStub;
  return run;
}

bool pushes_error_code(unsigned vector) {
  return vector == 8 || vector == 10 || vector == 11 || vector == 12 || vector == 13 || vector == 14 || vector == 17 ||
         vector == 21;
}

StopMeaning meaning_of(const model::Operation& op, const GuestRun& run, const GuestStop& stop) {
  StopMeaning m;
  const bool access = op.kind == model::OperationKind::access;
  const std::uint64_t linear = op.access.linear;
  if (stop.at_exit_call) {
    if (!access) {
      m.event = model::Event::completed();  // the guest's INVLPG, or a plain entry's guest
      return m;
    }
    // Completed. A read's value is the guest's RAX (zero-extended by the stub); a fetch
    // completed when the vector's RET came back to the exit call after the CALL.
    if (op.access.kind == spec::AccessKind::fetch && stop.rip != run.stub + (kFetchReturn - kFetchStub)) {
      m.harness_failure = fmt::format("the fetch of {:#x} ran into the exit call at {:#x}, not back in the stub", linear, stop.rip);
      return m;
    }
    const std::uint64_t mask = op.size >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * op.size)) - 1;
    m.event = model::Event::completed(op.access.kind == spec::AccessKind::read ? std::optional<std::uint64_t>(stop.rax & mask)
                                                                             : std::nullopt);
    return m;
  }
  // An intercepted exception is what the guest would have been delivered.
  const unsigned vec = stop.vector;
  if (vec == model::kPageFaultVector && stop.fault_address >= kHarnessLinear) {
    m.harness_failure = fmt::format("#PF on the harness's own page {:#x} (error code {:#x})", stop.fault_address, stop.error_code);
    return m;
  }
  // A fetch that lands on other bytes still counts as a successful fetch when the fault that
  // follows has RIP = the target and is not a #PF on the target's own bytes.
  if (access && op.access.kind == spec::AccessKind::fetch && stop.rip == linear &&
      !(vec == model::kPageFaultVector && stop.fault_address >= (linear & ~0xfffull) && stop.fault_address < (linear | 0xfff) + 1)) {
    m.event = model::Event::completed();
    return m;
  }
  m.event = model::Event::exception(vec, pushes_error_code(vec) ? stop.error_code : 0,
                                    vec == model::kPageFaultVector ? std::optional<std::uint64_t>(stop.fault_address) : std::nullopt);
  return m;
}

}  // namespace vtspec::conformance::l1
