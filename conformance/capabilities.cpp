#include "conformance/capabilities.hpp"

namespace vtspec::conformance {

Capabilities unlimited_capabilities() {
  Capabilities c;
  c.real = false;
  for (auto& f : c.features) f.can_have = f.can_lack = true;
  return c;
}

}  // namespace vtspec::conformance
