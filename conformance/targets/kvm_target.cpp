#include "conformance/targets/kvm_target.hpp"

#include <linux/kvm.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "conformance/harness/encoding.hpp"
#include "conformance/harness/harness_image.hpp"
#include "conformance/targets/kvm_vm.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {
namespace {

namespace cr4 = model::cr4;
using Exit = KvmVm::Exit;

kvm_segment code_segment(std::uint16_t selector, unsigned dpl) {
  kvm_segment s{};
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = 11;  // execute/read, accessed
  s.present = 1;
  s.dpl = static_cast<std::uint8_t>(dpl);
  s.s = 1;
  s.l = 1;  // 64-bit code (SDM Vol. 3A 5.2.1)
  s.g = 1;
  return s;
}

kvm_segment data_segment(std::uint16_t selector) {
  kvm_segment s{};
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = 3;  // read/write, accessed
  s.present = 1;
  s.db = 1;
  s.s = 1;
  s.g = 1;
  return s;
}

std::string describe_exit(const Exit& exit) {
  switch (exit.kind) {
    case Exit::Kind::internal_error: {
      std::string text = fmt::format("KVM_EXIT_INTERNAL_ERROR suberror {}{}", exit.detail,
                                     exit.detail == KVM_INTERNAL_ERROR_EMULATION ? " (emulation failure)" : "");
      if (!exit.data.empty()) text += fmt::format(" data {:#x}", fmt::join(exit.data, " "));
      return text;
    }
    case Exit::Kind::shutdown: return "KVM_EXIT_SHUTDOWN (triple fault)";
    case Exit::Kind::fail_entry: return fmt::format("KVM_EXIT_FAIL_ENTRY (hardware entry failure reason {:#x})", exit.detail);
    case Exit::Kind::timeout: return "timeout: the guest did not finish";
    case Exit::Kind::hlt: return "KVM_EXIT_HLT: the harness halted without reporting";
    case Exit::Kind::io: return fmt::format("unexpected port I/O exit (port {:#x})", exit.port);
    case Exit::Kind::mmio: return fmt::format("MMIO exit at {:#x}", exit.address);
    case Exit::Kind::other: return fmt::format("KVM exit reason {}", exit.detail);
  }
  return "unknown exit";
}

class KvmTarget final : public Target {
 public:
  explicit KvmTarget(unsigned timeout_ms) : timeout_ms_(timeout_ms), trace_(std::getenv("VTSPEC_KVM_TRACE") != nullptr) {}

  std::string name() const override { return "kvm"; }

  std::string unavailable_reason() override {
    ensure_vm();
    return unavailable_;
  }

  VectorResult run(const vectors::Vector& vector) override;

  std::string report() {
    ensure_vm();
    if (!vm_) return "unavailable: " + unavailable_;
    std::string text = fmt::format("guest CPUID source: {}\n", vm_->cpuid_source());
    static const char* leaves[4] = {"1", "7.0", "80000001", "80000008"};
    for (int i = 0; i < 4; ++i)
      text += fmt::format("guest CPUID {:>8}: eax {:08x} ebx {:08x} ecx {:08x} edx {:08x}\n", leaves[i],
                          guest_cpuid_[i][0], guest_cpuid_[i][1], guest_cpuid_[i][2], guest_cpuid_[i][3]);
    for (const auto& e : vm_->cpuid())
      if ((e.function == 1 || e.function == 7 || e.function == 0x80000001 || e.function == 0x80000008) && e.index == 0)
        text += fmt::format("set by KVM_SET_CPUID2 {:>8x}: eax {:08x} ebx {:08x} ecx {:08x} edx {:08x}\n", e.function,
                            e.eax, e.ebx, e.ecx, e.edx);
    text += fmt::format("guest MAXPHYADDR: {}\n", maxphyaddr_);
    for (const auto& [name, why] : features_) text += fmt::format("feature {:8} {}\n", name, why.empty() ? "yes" : why);
    return text;
  }

 private:
  struct Execution {
    harness::DecodedResults decoded;
    std::vector<std::string> problems;  // target errors, in order
  };
  Execution execute(const harness::EncodedVector& program, const model::GuestRegisters& initial,
                    const std::vector<model::Operation>& operations);
  void ensure_vm();
  void probe_features();
  std::optional<std::string> missing_feature(const vectors::Vector& vector) const;
  kvm_sregs initial_sregs(const model::GuestRegisters& regs) const;

  unsigned timeout_ms_;
  bool trace_;  // VTSPEC_KVM_TRACE set: print the vCPU's control registers after each vector
  harness::Layout layout_;
  std::unique_ptr<KvmVm> vm_;
  bool tried_ = false;
  std::string unavailable_;
  kvm_sregs base_sregs_{};
  unsigned maxphyaddr_ = 0;
  std::uint32_t guest_cpuid_[4][4] = {};
  std::vector<std::uint64_t> nonzero_frames_;  // window frames the last vector left non-zero
  std::map<std::string, std::string> features_;  // name -> "" when present, else why not
};

void KvmTarget::ensure_vm() {
  if (vm_ || (tried_ && !unavailable_.empty())) return;
  tried_ = true;
  try {
    harness::guest_info();  // a broken embedded image is a build error: say so here
    vm_ = std::make_unique<KvmVm>(layout_.vector_window, layout_.region_gpa, VT_REGION_AND_STAGING_SIZE);
    nonzero_frames_.clear();
    auto region = harness::build_region(layout_);
    std::memcpy(vm_->region().data(), region.data(), region.size());
    base_sregs_ = vm_->sregs();
    probe_features();
    unavailable_.clear();
  } catch (const std::exception& e) {
    vm_.reset();
    unavailable_ = fmt::format("/dev/kvm unusable: {}", e.what());
  }
}

// What the vCPU can really do. CPUID alone is not enough on this backend (it under-reports
// and over-reports, docs/kvm-divergences.md): a CR4 feature counts only if KVM accepts the
// CR4 bit through KVM_SET_SREGS with the guest CPUID we set.
void KvmTarget::probe_features() {
  model::GuestRegisters regs;  // long mode, CR4.PAE, EFER.NXE
  regs.cr3 = 0x1000;
  auto accepts = [&](std::uint64_t cr4_bits, std::uint64_t efer_bits) {
    model::GuestRegisters r = regs;
    r.cr4 |= cr4_bits;
    r.efer = (r.efer & ~model::efer::nxe) | efer_bits;
    return vm_->try_set_sregs(initial_sregs(r));
  };
  auto cr4_feature = [&](const char* name, const char* bit_name, std::uint64_t bit) {
    features_[name] = accepts(bit, 0) ? "" : fmt::format("KVM rejects CR4.{} (KVM_SET_SREGS)", bit_name);
  };
  cr4_feature("smep", "SMEP", cr4::smep);
  cr4_feature("smap", "SMAP", cr4::smap);
  cr4_feature("pku", "PKE", cr4::pke);
  cr4_feature("pcid", "PCIDE", cr4::pcide);
  cr4_feature("pks", "PKS", cr4::pks);
  features_["la57"] = accepts(cr4::la57, 0) ? "5-level paging: the guest harness runs 4-level paging only"
                                            : "KVM rejects CR4.LA57 (KVM_SET_SREGS)";
  features_["nx"] = accepts(0, model::efer::nxe) ? "" : "KVM rejects EFER.NXE";

  // The CPUID the guest really sees, read from inside it (KVM's CPUID ioctls may fail here).
  model::MachineState probe;
  probe.regs = regs;
  harness::EncodeResult encoded = harness::encode(probe, {}, {}, layout_);
  if (!encoded.error.empty()) throw std::runtime_error("CPUID probe: " + encoded.error);
  harness::request_cpuid(encoded.encoded);
  Execution execution = execute(encoded.encoded, probe.regs, {});
  if (!vm_) throw std::runtime_error("CPUID probe: the VM failed");
  if (!execution.problems.empty())
    throw std::runtime_error(fmt::format("the harness does not run: {}", fmt::join(execution.problems, "; ")));
  const auto& cpuid = execution.decoded.cpuid;  // leaves 1, 7.0, 0x80000001, 0x80000008
  std::copy(&cpuid[0][0], &cpuid[0][0] + 16, &guest_cpuid_[0][0]);
  maxphyaddr_ = (cpuid[3][0] & 0xff) ? (cpuid[3][0] & 0xff) : 36;  // SDM Vol. 2A CPUID: 36 without the leaf
  features_["invpcid"] = (cpuid[1][1] >> 10 & 1) ? "" : "guest CPUID.7.0:EBX.INVPCID = 0";
  features_["page1gb"] = (cpuid[2][3] >> 26 & 1) ? "" : "guest CPUID.80000001H:EDX.Page1GB = 0";
  // A CR4 feature needs both: the guest's CPUID enumerates it (else the bit is reserved,
  // SDM Vol. 3A 2.5) and KVM accepts the bit.
  auto needs_cpuid = [&](const char* name, int leaf, int reg, int bit, const char* what) {
    if (!(cpuid[leaf][reg] >> bit & 1) && features_[name].empty())
      features_[name] = fmt::format("guest CPUID has no {} (KVM accepts the CR4 bit anyway)", what);
  };
  needs_cpuid("smep", 1, 1, 7, "SMEP");
  needs_cpuid("smap", 1, 1, 20, "SMAP");
  needs_cpuid("pku", 1, 2, 3, "PKU");
  needs_cpuid("pcid", 0, 2, 17, "PCID");
  needs_cpuid("nx", 2, 3, 20, "NX");
}

std::optional<std::string> KvmTarget::missing_feature(const vectors::Vector& vector) const {
  std::vector<std::string> needed = vector.requires_features;
  // Whatever the initial state or an operation switches on is needed too.
  auto from_cr4 = [&](std::uint64_t value) {
    if (value & cr4::smep) needed.push_back("smep");
    if (value & cr4::smap) needed.push_back("smap");
    if (value & cr4::pke) needed.push_back("pku");
    if (value & cr4::pcide) needed.push_back("pcid");
    if (value & cr4::la57) needed.push_back("la57");
    if (value & cr4::pks) needed.push_back("pks");
  };
  from_cr4(vector.initial.regs.cr4);
  if (vector.initial.regs.efer & model::efer::nxe) needed.push_back("nx");
  for (const auto& op : vector.operations) {
    if (op.kind == model::OperationKind::mov_cr4) from_cr4(op.value);
    if (op.kind == model::OperationKind::invpcid) needed.push_back("invpcid");
    if (op.kind == model::OperationKind::invvpid || op.kind == model::OperationKind::invept ||
        op.kind == model::OperationKind::vm_entry || op.kind == model::OperationKind::vm_exit)
      return fmt::format("{}: no nested VMX on this KVM (KVM_CAP_NESTED_STATE = 0)", model::to_string(op.kind));
  }
  if (vector.initial.ept) return "EPT: no nested VMX on this KVM (KVM_CAP_NESTED_STATE = 0)";
  for (const auto& name : needed) {
    auto it = features_.find(name);
    if (it == features_.end()) return fmt::format("unknown feature '{}'", name);
    if (!it->second.empty()) return fmt::format("needs {}: {}", name, it->second);
  }
  if (vector.initial.features.maxphyaddr != maxphyaddr_)
    return fmt::format("vector assumes MAXPHYADDR {}, the KVM guest has {}", vector.initial.features.maxphyaddr,
                       maxphyaddr_);
  if (!vector.initial.features.page1gb && features_.at("page1gb").empty())
    return "vector assumes a CPU without 1-GByte pages; the KVM guest has them (PDPTE.PS is not reserved)";
  return std::nullopt;
}

// The KVM boot shim: long mode is entered directly through KVM_SET_SREGS with the harness's
// GDT, IDT and TSS (SDM Vol. 3A 10.8.5 describes the architectural way; KVM lets the host
// load the end state), and the vector's CR0/CR3/CR4/EFER.
kvm_sregs KvmTarget::initial_sregs(const model::GuestRegisters& regs) const {
  const vt_info& info = harness::guest_info();
  kvm_sregs s = base_sregs_;
  s.cs = code_segment(VT_SEL_KERNEL_CODE, 0);
  s.ds = s.es = s.fs = s.gs = s.ss = data_segment(VT_SEL_KERNEL_DATA);
  s.tr = kvm_segment{};
  s.tr.base = info.tss;
  s.tr.limit = static_cast<std::uint32_t>(info.tss_limit);
  s.tr.selector = VT_SEL_TSS;
  s.tr.type = 11;  // busy 64-bit TSS
  s.tr.present = 1;
  s.ldt = kvm_segment{};
  s.ldt.type = 2;
  s.ldt.unusable = 1;
  s.gdt.base = info.gdt;
  s.gdt.limit = static_cast<std::uint16_t>(info.gdt_limit);
  s.idt.base = info.idt;
  s.idt.limit = static_cast<std::uint16_t>(info.idt_limit);
  s.cr0 = regs.cr0 | model::cr0::pe | model::cr0::pg | model::cr0::et;
  s.cr2 = 0;
  s.cr3 = regs.cr3;
  s.cr4 = regs.cr4;
  s.efer = regs.efer | model::efer::lme | model::efer::lma;
  return s;
}

VectorResult KvmTarget::run(const vectors::Vector& vector) {
  VectorResult result;
  ensure_vm();
  if (!vm_) {
    result.status = VectorResult::Status::skipped;
    result.reason = unavailable_;
    return result;
  }
  if (auto missing = missing_feature(vector); missing && !std::getenv("VTSPEC_KVM_IGNORE_FEATURES")) {
    // (VTSPEC_KVM_IGNORE_FEATURES: run anyway, to see what KVM does; for investigations.)
    result.status = VectorResult::Status::skipped;
    result.reason = *missing;
    return result;
  }
  std::vector<std::uint64_t> readback;
  for (const auto& entry : vector.entries) readback.push_back(entry.physical);
  harness::EncodeResult encoded = harness::encode(vector.initial, vector.operations, readback, layout_);
  if (!encoded.error.empty()) {
    result.status = VectorResult::Status::target_error;
    result.reason = "the guest harness cannot run this vector: " + encoded.error;
    return result;
  }
  Execution execution = execute(encoded.encoded, vector.initial.regs, vector.operations);
  result.observations = std::move(execution.decoded.observations);
  if (!execution.problems.empty()) {
    result.status = VectorResult::Status::target_error;
    result.reason = fmt::format("{}", fmt::join(execution.problems, "; "));
  }
  return result;
}

KvmTarget::Execution KvmTarget::execute(const harness::EncodedVector& program, const model::GuestRegisters& initial,
                                        const std::vector<model::Operation>& operations) {
  Execution execution;
  auto& problems = execution.problems;
  bool recreate = false;
  try {
    // Reset (conformance/harness/README.md): the host stages the vector's memory and the
    // list of frames the previous vector left non-zero; the harness puts both in place with
    // guest stores and flushes the TLB before the first operation. Memslots are never
    // changed between vectors (each change costs a grace period, ~13 ms here). Only the
    // harness's PML4 entry is written by the host, so that the harness can run at all; it
    // has the same value in every top-level table of every vector.
    auto t0 = std::chrono::steady_clock::now();
    auto window = vm_->window();
    for (std::uint64_t table : program.top_tables)
      std::memcpy(window.data() + table + VT_HARNESS_PML4_INDEX * 8, &program.harness_pml4e, 8);
    harness::EncodedVector staged = program;
    auto current = [&](std::uint64_t address) {
      std::uint64_t value;
      std::memcpy(&value, window.data() + address, 8);
      return value;
    };
    harness::StageResult stage = harness::stage_memory(staged, nonzero_frames_, current,
                                                       vm_->region().subspan(VT_STAGING_OFFSET, VT_STAGING_SIZE));
    if (!stage.error.empty()) {
      problems.push_back(stage.error);
      execution.decoded.observations.resize(program.op_count);
      nonzero_frames_ = vm_->nonzero_window_frames();  // the host wrote PML4 entries above
      return execution;
    }
    std::memcpy(vm_->region().data() + VT_PROGRAM_OFFSET, staged.program.data(), staged.program.size());
    std::memset(vm_->region().data() + VT_RESULTS_OFFSET, 0, VT_RESULTS_FIRST + program.op_count * sizeof(vt_result));
    auto t1 = std::chrono::steady_clock::now();
    if (trace_)
      std::fprintf(stderr, "[kvm] staged %zu stores: %ld us\n", stage.stores,
                   (long)std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count());

    if (!vm_->try_set_sregs(initial_sregs(initial))) {
      problems.push_back(fmt::format("KVM_SET_SREGS rejected the initial state (CR0 {:#x}, CR4 {:#x}, EFER {:#x})",
                                     initial.cr0, initial.cr4, initial.efer));
      execution.decoded.observations.resize(program.op_count);
      nonzero_frames_ = vm_->nonzero_window_frames();
      return execution;
    }
    auto start_at = [&](std::uint64_t first_op) {
      kvm_regs regs{};
      regs.rip = harness::guest_info().entry;
      regs.rsp = harness::guest_info().stack_top;
      regs.rdi = first_op;
      regs.rflags = program.rflags;
      vm_->set_regs(regs);
    };
    start_at(0);

    auto results_header = [&] {
      vt_results_header h;
      std::memcpy(&h, vm_->region().data() + VT_RESULTS_OFFSET, sizeof h);
      return h;
    };
    unsigned mmio_exits = 0, recoveries = 0;
    for (bool finished = false; !finished;) {
      auto run_start = std::chrono::steady_clock::now();
      Exit exit = vm_->run(timeout_ms_);
      if (trace_)
        std::fprintf(stderr, "[kvm] KVM_RUN %ld us\n",
                     (long)std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - run_start).count());
      std::uint32_t op = results_header().current_op;
      vt_result op_result{};
      if (op < program.op_count)
        std::memcpy(&op_result, vm_->region().data() + VT_RESULTS_OFFSET + VT_RESULTS_FIRST + op * sizeof(vt_result),
                    sizeof op_result);
      // The operation is in progress only if the harness marked it started; otherwise the
      // exit came from the harness's own setup (loading memory, WRPKRU, ...).
      bool in_operation = op < operations.size() && op_result.status == VT_STARTED;
      std::string where = in_operation
                              ? fmt::format("operation {} ({})", op, vectors::describe_operation(operations[op]))
                              : "the harness's setup before the operations";
      switch (exit.kind) {
        case Exit::Kind::io:
          if (exit.port != VT_PORT_DONE)
            problems.push_back(exit.port == VT_PORT_FAILED
                                   ? fmt::format("harness failure {} during {}", exit.io_value, where)
                                   : fmt::format("{} during {}", describe_exit(exit), where));
          finished = true;
          break;
        case Exit::Kind::mmio:
          // Guest-physical memory outside every memslot. Reads complete as zero, like the
          // model's unbacked memory; the vector is still reported, as its result is not
          // comparable to hardware with RAM there.
          if (++mmio_exits == 1)
            problems.push_back(fmt::format("{} at guest-physical {:#x} (outside the target's memory) during {}",
                                           exit.mmio_write ? "write" : "read", exit.address, where));
          if (!exit.mmio_write) vm_->complete_mmio_read_zero();
          if (mmio_exits > 4096) {
            problems.push_back("too many MMIO exits; stopped");
            finished = true;
          }
          break;
        case Exit::Kind::internal_error: {
          // The operation could not be run (e.g. INVPCID is an emulation failure on this
          // backend): record it against the operation, and go on with the next one in a
          // re-entered harness (control registers as the guest left them).
          problems.push_back(fmt::format("{}: {}", where, describe_exit(exit)));
          if (!in_operation || ++recoveries > program.op_count || op + 1 > program.op_count) {
            finished = true;
            break;
          }
          kvm_sregs now = vm_->sregs();
          model::GuestRegisters regs = initial;
          regs.cr0 = now.cr0;
          regs.cr3 = now.cr3;
          regs.cr4 = now.cr4;
          regs.efer = now.efer;
          if (!vm_->try_set_sregs(initial_sregs(regs))) {
            problems.push_back("could not restart the harness after the internal error");
            recreate = true;
            finished = true;
            break;
          }
          start_at(op + 1);
          break;
        }
        default:
          problems.push_back(fmt::format("{}: {}", where, describe_exit(exit)));
          recreate = exit.kind == Exit::Kind::shutdown || exit.kind == Exit::Kind::fail_entry ||
                     exit.kind == Exit::Kind::timeout || exit.kind == Exit::Kind::other;
          finished = true;
          break;
      }
    }
  } catch (const std::exception& e) {
    problems.push_back(fmt::format("KVM failure: {}", e.what()));
    recreate = true;
  }

  if (vm_) {
    try {
      auto t0 = std::chrono::steady_clock::now();
      nonzero_frames_ = vm_->nonzero_window_frames();
      if (trace_)
        std::fprintf(stderr, "[kvm] scan: %zu non-zero frames, %ld us\n", nonzero_frames_.size(),
                     (long)std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
    } catch (const std::exception& e) {
      problems.push_back(fmt::format("KVM failure: {}", e.what()));
      recreate = true;
    }
  }
  if (trace_ && vm_) {
    try {
      kvm_sregs now = vm_->sregs();
      kvm_regs regs = vm_->regs();
      std::fprintf(stderr, "[kvm] after run: CR0 %#llx CR3 %#llx CR4 %#llx EFER %#llx RIP %#llx\n",
                   (unsigned long long)now.cr0, (unsigned long long)now.cr3, (unsigned long long)now.cr4,
                   (unsigned long long)now.efer, (unsigned long long)regs.rip);
    } catch (const std::exception&) {
    }
  }
  auto region = vm_->region();
  execution.decoded =
      harness::decode(region.subspan(VT_RESULTS_OFFSET, VT_RESULTS_SIZE), program.op_count, program.readback);
  if (!execution.decoded.failure.empty()) problems.push_back(execution.decoded.failure);
  if (recreate) {
    vm_.reset();  // a fresh VM for the next vector: no state carried over from this one
    tried_ = false;
  }
  return execution;
}

}  // namespace

std::string kvm_target_report() { return KvmTarget(2000).report(); }

std::unique_ptr<Target> make_kvm_target() { return make_kvm_target(2000); }
std::unique_ptr<Target> make_kvm_target(unsigned timeout_ms) { return std::make_unique<KvmTarget>(timeout_ms); }

}  // namespace vtspec::conformance
