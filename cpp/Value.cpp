// etcd::Value and etcd::Event accessors and their stream output.
#include "etcd/Value.hpp"

#include <ostream>

namespace etcd {

Value::Value() : dir(false), created(0), modified(0), _version(0), _ttl(0), leaseId(0) {}

bool Value::is_dir() const { return dir; }

std::string const& Value::key() const { return _key; }

std::string const& Value::as_string() const { return value; }

int64_t Value::created_index() const { return created; }

int64_t Value::modified_index() const { return modified; }

int64_t Value::version() const { return _version; }

int Value::ttl() const { return _ttl; }

int64_t Value::lease() const { return leaseId; }

std::ostream& operator<<(std::ostream& os, const Value& value) {
  return os << "Event: {"
            << "Key: " << value.key() << ", "
            << "Value: " << value.as_string() << ", "
            << "Created: " << value.created_index() << ", "
            << "Modified: " << value.modified_index() << ", "
            << "Version: " << value.version() << ", "
            << "TTL: " << value.ttl() << ", "
            << "Lease: " << value.lease() << ", "
            << "}";
}

Event::Event() : event_type_(EventType::INVALID), _has_kv(false), _has_prev_kv(false) {}

Event::EventType Event::event_type() const { return event_type_; }

bool Event::has_kv() const { return _has_kv; }

bool Event::has_prev_kv() const { return _has_prev_kv; }

const Value& Event::kv() const { return _kv; }

const Value& Event::prev_kv() const { return _prev_kv; }

std::ostream& operator<<(std::ostream& os, const Event::EventType& value) {
  switch (value) {
    case Event::EventType::PUT:
      return os << "PUT";
    case Event::EventType::DELETE_:
      return os << "DELETE";
    case Event::EventType::INVALID:
      break;
  }
  return os << "INVALID";
}

std::ostream& operator<<(std::ostream& os, const Event& event) {
  os << "Event type: " << event.event_type();
  if (event.has_kv()) os << ", KV: " << event.kv();
  if (event.has_prev_kv()) os << ", Prev KV: " << event.prev_kv();
  return os;
}

}  // namespace etcd
