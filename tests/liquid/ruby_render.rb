#!/usr/bin/env ruby
# frozen_string_literal: true

# Reference renderer for tests/liquid/ruby_diff_test.cpp: renders each job with
# Ruby's Shopify liquid (Debian ruby-liquid) in its default lax mode.
# Usage: ruby_render.rb JOBS.json OUT.json
#   JOBS.json: [{"template": "...", "context": {...}}, ...]
#   OUT.json:  [{"ok": true, "output": "..."} | {"ok": false, "error": "..."}, ...]
# Ground Truth's extra filters are defined the way Plumbline implements them in
# Shopify mode (no signer), so the comparison covers the Liquid core.
require 'json'
require 'liquid'

module GroundTruthFilters
  def to_json(input)
    JSON.generate(input)
  end

  def grant_read_access(input)
    input.nil? ? '' : input.to_s
  end

  def skip_autoescape(input)
    input
  end
end
Liquid::Template.register_filter(GroundTruthFilters)

jobs = JSON.parse(File.read(ARGV[0]))
results = jobs.map do |job|
  template = Liquid::Template.parse(job['template'])
  { 'ok' => true, 'output' => template.render(job['context']) }
rescue Liquid::Error, StandardError => e
  { 'ok' => false, 'error' => e.message }
end
File.write(ARGV[1], JSON.generate(results))
