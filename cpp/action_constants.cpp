// Definitions of the action names and tag strings declared in etcd/v3/action_constants.hpp.
#include "etcd/v3/action_constants.hpp"

namespace etcdv3 {

char const* CREATE_ACTION = "create";
char const* UPDATE_ACTION = "update";
char const* SET_ACTION = "set";
char const* GET_ACTION = "get";
char const* PUT_ACTION = "set";
char const* DELETE_ACTION = "delete";
char const* COMPARESWAP_ACTION = "compareAndSwap";
char const* COMPAREDELETE_ACTION = "compareAndDelete";
char const* LOCK_ACTION = "lock";
char const* UNLOCK_ACTION = "unlock";
char const* TXN_ACTION = "txn";
char const* WATCH_ACTION = "watch";
char const* LEASEGRANT = "leasegrant";
char const* LEASEREVOKE = "leaserevoke";
char const* LEASEKEEPALIVE = "leasekeepalive";
char const* LEASETIMETOLIVE = "leasetimetolive";
char const* LEASELEASES = "leaseleases";
char const* ADDMEMBER = "addmember";
char const* LISTMEMBER = "listmember";
char const* REMOVEMEMBER = "removemember";
char const* CAMPAIGN_ACTION = "campaign";
char const* PROCLAIM_ACTION = "preclaim";
char const* LEADER_ACTION = "leader";
char const* OBSERVE_ACTION = "obverse";
char const* RESIGN_ACTION = "resign";

std::string const NUL = std::string(1, '\0');

char const* KEEPALIVE_CREATE = "keepalive create";
char const* KEEPALIVE_WRITE = "keepalive write";
char const* KEEPALIVE_READ = "keepalive read";
char const* KEEPALIVE_DONE = "keepalive done";
char const* KEEPALIVE_FINISH = "keepalive finish";

char const* WATCH_CREATE = "watch create";
char const* WATCH_WRITE = "watch write";
char const* WATCH_WRITE_CANCEL = "watch write cancel";
char const* WATCH_WRITES_DONE = "watch writes done";
char const* WATCH_FINISH = "watch finish";

char const* ELECTION_OBSERVE_CREATE = "observe create";
char const* ELECTION_OBSERVE_FINISH = "observe finish";

}  // namespace etcdv3
