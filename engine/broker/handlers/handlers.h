// One handler per API, one file each (handlers/<api>.cpp). api_table.cpp maps keys to them.
#pragma once

#include "engine/broker/request_context.h"

namespace faultline::broker::handlers {

// data path (lead)
void produce(RequestContext& ctx, Responder respond);            // 0
std::shared_ptr<const void> prepareProduce(protocol::Reader body, std::int16_t version);
void fetch(RequestContext& ctx, Responder respond);              // 1
void listOffsets(RequestContext& ctx, Responder respond);        // 2
void metadata(RequestContext& ctx, Responder respond);           // 3
void apiVersions(RequestContext& ctx, Responder respond);        // 18
void deleteRecords(RequestContext& ctx, Responder respond);      // 21
void initProducerId(RequestContext& ctx, Responder respond);     // 22
void offsetForLeaderEpoch(RequestContext& ctx, Responder respond); // 23
void describeCluster(RequestContext& ctx, Responder respond);    // 60

// groups (group_coordinator)
void offsetCommit(RequestContext& ctx, Responder respond);       // 8
void offsetFetch(RequestContext& ctx, Responder respond);        // 9
void findCoordinator(RequestContext& ctx, Responder respond);    // 10
void joinGroup(RequestContext& ctx, Responder respond);          // 11
void heartbeat(RequestContext& ctx, Responder respond);          // 12
void leaveGroup(RequestContext& ctx, Responder respond);         // 13
void syncGroup(RequestContext& ctx, Responder respond);          // 14
void describeGroups(RequestContext& ctx, Responder respond);     // 15
void listGroups(RequestContext& ctx, Responder respond);         // 16
void deleteGroups(RequestContext& ctx, Responder respond);       // 42
void offsetDelete(RequestContext& ctx, Responder respond);       // 47

// topic and config admin
void createTopics(RequestContext& ctx, Responder respond);       // 19
void deleteTopics(RequestContext& ctx, Responder respond);       // 20
void describeConfigs(RequestContext& ctx, Responder respond);    // 32
void alterConfigs(RequestContext& ctx, Responder respond);       // 33
void describeLogDirs(RequestContext& ctx, Responder respond);    // 35
void createPartitions(RequestContext& ctx, Responder respond);   // 37
void incrementalAlterConfigs(RequestContext& ctx, Responder respond); // 44

} // namespace faultline::broker::handlers
