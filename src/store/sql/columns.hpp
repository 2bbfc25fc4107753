// The column lists both SQL stores select, in the order their Read* helpers
// read them, and the statements whose SQLite form names the index to use
// (INDEXED BY, where SQLite's planner would pick another): each takes the
// hint, "" for PostgreSQL. Macros, so that each statement stays a string
// literal (a store caches its prepared statements by the literal).
#pragma once

#define kUserSelect "SELECT id,username,password_hash,is_admin,disabled,worker_key,sub FROM users"
#define kInvitationSelect                                                                     \
  "SELECT token_hash,username,group_names,is_admin,invited_by,created_ms,expires_ms,used_ms " \
  "FROM invitations"
#define kFunctionSelect                                                                      \
  "SELECT name,arn,kind,runtime,handler,code_dir,code_sha256,code_size,timeout_s,memory_mb," \
  "environment,description,role,revision,created_ms,modified_ms FROM functions"
#define kJobSelect                                                                               \
  "SELECT id,name,arn,status,failure_reason,request,workteam_arn,job_reference_code,created_ms," \
  "modified_ms,object_count,labeled,failed,output_written,labels_json,ui_template,"              \
  "workers_per_object FROM jobs"
#define kObjectSelect \
  "SELECT job_id,idx,state,line,label,failure_reason,answers,leases,task_input FROM objects"
#define kAssignmentSelect                                                                      \
  "SELECT id,job_id,idx,user_id,state,accepted_ms,deadline_ms,submitted_ms,answer,time_spent " \
  "FROM assignments"

// Objects not pre-processed yet, in manifest order (index objects_unprocessed).
#define PLB_SQL_OBJECTS_TO_PREPROCESS(hint) \
  kObjectSelect hint " WHERE job_id=? AND state=0 AND task_input IS NULL ORDER BY idx LIMIT ?"
// A page of labeled objects' labels from an index on (objects_labeled).
#define PLB_SQL_OBJECT_LABELS_PAGE(hint)    \
  "SELECT idx,label FROM objects" hint      \
  " WHERE job_id=? AND state=1 AND idx>=? " \
  "ORDER BY idx LIMIT 4096"
// Objects with all their answers (objects_full).
#define PLB_SQL_OBJECTS_READY_TO_CONSOLIDATE(hint) \
  "SELECT idx FROM objects" hint                   \
  " WHERE job_id=? AND state=0 AND "               \
  "needed <= (answers + declines) ORDER BY idx LIMIT ?"
// Started objects: released ones with an answer or a lease (objects_released).
#define PLB_SQL_COUNT_IN_PROGRESS(hint) \
  "SELECT count(*) FROM objects" hint   \
  " WHERE job_id=? AND "                \
  "state=0 AND released_ms > 0 AND (answers + leases) > 0"
// Released objects without a lease, released before a time (objects_released).
#define PLB_SQL_EXPIRED_OBJECTS(hint)     \
  "SELECT idx, answers FROM objects" hint \
  " WHERE job_id=? AND state=0 AND "      \
  "released_ms>0 AND released_ms<? AND leases=0 ORDER BY released_ms, idx LIMIT ?"
