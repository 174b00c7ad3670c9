def handler(event, context):  # placeholder replaced by the real handler
    raise NotImplementedError
