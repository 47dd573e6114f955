#pragma once
// A small, bounded XML reader for instrument files (XRDML, BRML, RASX). It builds an element tree,
// drops namespace prefixes, decodes the five predefined entities and numeric references (ASCII only),
// and throws InputError(path, line, cause) on malformed input. No DTDs, no external entities.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pxrd::formats::detail {

struct XmlElement {
  std::string name;  // local name, without the namespace prefix
  std::map<std::string, std::string> attributes;
  std::string text;  // character data directly inside this element
  std::vector<std::unique_ptr<XmlElement>> children;
  int line = 0;

  const XmlElement* child(std::string_view name) const;
  std::vector<const XmlElement*> children_named(std::string_view name) const;
  // First descendant (depth-first) with this name, or nullptr.
  const XmlElement* find(std::string_view name) const;
  void find_all(std::string_view name, std::vector<const XmlElement*>& out) const;
  std::string attr(const std::string& key, const std::string& fallback = "") const;
};

std::unique_ptr<XmlElement> parse_xml(std::string_view text, const std::string& path);

}  // namespace pxrd::formats::detail
