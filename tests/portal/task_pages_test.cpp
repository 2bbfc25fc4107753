// Task pages: a job's template rendered for a claimed task, media signed for
// the lease, templates checked as CreateLabelingJob checks them.
#include "portal/task_pages.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "common/ids.hpp"
#include "labeling/labeling.hpp"
#include "portal/media.hpp"
#include "storage/object_store.hpp"

namespace plumbline::portal {
namespace {
namespace fs = std::filesystem;

labeling::ClaimedTask Task(int64_t job_id, std::shared_ptr<const std::string> tmpl,
                           const char* input) {
  labeling::ClaimedTask t;
  t.task_id = 7;
  t.job_id = job_id;
  t.task_template = std::move(tmpl);
  t.task_input = boost::json::parse(input).as_object();
  t.lease_seconds = 600;
  return t;
}

TEST(TaskPagesTest, RendersTheTaskInputWithSignedMedia) {
  fs::path dir = fs::temp_directory_path() / ("plb-task-pages-" + RandomHex(6));
  auto objects = storage::OpenLocal(dir.string());
  FakeClock clock{1'000'000'000'000};
  MediaSigner signer("k", *objects, clock);
  TaskPages pages(&signer);
  auto tmpl = std::make_shared<const std::string>(
      "<img src=\"{{ task.input.taskObject | grant_read_access }}\">{{ task.input.note }}");
  auto html = pages.Render(Task(1, tmpl, R"({"taskObject":"s3://b/cat.jpg","note":"<b>"})"));
  ASSERT_TRUE(html) << html.error().message;
  // Autoescaped, and the media link lasts the lease plus the margin.
  EXPECT_NE(html->find("&lt;b&gt;"), std::string::npos) << *html;
  EXPECT_NE(html->find("/worker/media?"), std::string::npos) << *html;
  EXPECT_NE(html->find("expires=" + std::to_string(1'000'000'000 + 600 + 300)), std::string::npos)
      << *html;
  // Another job's template is its own.
  auto other = std::make_shared<const std::string>("<p>{{ task.input.note }}</p>");
  EXPECT_EQ(pages.Render(Task(2, other, R"({"note":"x"})")).value(), "<p>x</p>");
  // A task without a template is a bug of the caller's.
  EXPECT_EQ(pages.Render(Task(3, nullptr, "{}")).error().code, ErrorCode::kInternal);
  fs::remove_all(dir);
}

TEST(TaskPagesTest, ValidateAndRenderOnce) {
  EXPECT_TRUE(ValidateTaskTemplate("<p>{{ task.input.x }}</p>"));
  auto bad = ValidateTaskTemplate("<p>{% if %}</p>");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  auto once = RenderTaskPage("{{ task.input.x | grant_read_access }}",
                             boost::json::parse(R"({"x":"s3://b/k"})").as_object(),
                             [](std::string_view uri, int64_t lease) {
                               return "file:" + std::string(uri.substr(5)) + "#" +
                                      std::to_string(lease);
                             },
                             5);
  EXPECT_EQ(once.value(), "file:b/k#5");
}

}  // namespace
}  // namespace plumbline::portal
